package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/ledger"
)

// Every amount the CLI reads — flags and the AMOUNT argument — goes
// through ledger.ParseAmount, the one strict parser (THG with at most 8
// decimals, or whole base units with a "u"), and a bad one is an error
// naming the flag or argument.

// amountUsage ends the usage text of every amount flag.
const amountUsage = "THG (0.5) or base units (50000000u)"

// amountFlag parses the amount given to --name.
func amountFlag(c *cli.Context, name string) (uint64, error) {
	v, err := ledger.ParseAmount(c.String(name))
	if err != nil {
		return 0, fmt.Errorf("--%s: %w", name, err)
	}
	return v, nil
}

// amountArg parses a positional amount argument (named as in the
// command's usage, e.g. AMOUNT).
func amountArg(s, name string) (uint64, error) {
	v, err := ledger.ParseAmount(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}
