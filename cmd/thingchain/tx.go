package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/consensus"
)

func txCommand() *cli.Command {
	return &cli.Command{
		Name:  "tx",
		Usage: "submit and inspect signed transaction files (offline signing)",
		Description: `The gov, oem and owner commands can write a signed transaction to a file
(--out) instead of submitting it, so the key never meets the network.

Examples:
   thingchain tx show attest-0001.json
   thingchain tx submit attest-0001.json --wait --network regtest --datadir ./n1
   thingchain tx status 9ea23a5c… --chain auction --network regtest --datadir ./n1 --json`,
		Subcommands: []*cli.Command{
			{
				Name:  "submit",
				Usage: "submit a transaction file written by --out (e.g. an offline attestation)",
				UsageText: `thingchain tx submit FILE [--wait] [--node URL | --datadir DIR]

Example:
   thingchain tx submit attest-0001.json --wait --network test --node http://127.0.0.1:19741`,
				Flags:  []cli.Flag{walletNetFlag, nodeURLFlag, dataDirFlag, waitFlag, timeoutFlag, jsonFlag},
				Action: txSubmit,
			},
			{
				Name:      "show",
				Usage:     "print what a transaction file contains, after checking it",
				UsageText: "thingchain tx show FILE [--json]\n\nExample:\n   thingchain tx show attest-0001.json",
				Flags:     []cli.Flag{jsonFlag},
				Action:    txShow,
			},
			{
				Name:      "status",
				Usage:     "whether a transaction is pending or in a block",
				UsageText: "thingchain tx status TXID [--chain metadata|auction] [--json]\n\nExample:\n   thingchain tx status 3f2a... --chain metadata --network regtest --datadir ./n1",
				Flags: []cli.Flag{&cli.StringFlag{Name: "chain", Value: "metadata", Usage: "metadata or auction"},
					walletNetFlag, nodeURLFlag, dataDirFlag, jsonFlag},
				Action: txStatus,
			},
		},
	}
}

func txSubmit(c *cli.Context) error {
	if err := exactArgs(c, 1, "FILE"); err != nil {
		return err
	}
	f, tx, err := readTxFile(c.Args().First())
	if err != nil {
		return err
	}
	net, err := consensus.ForNetwork(f.Network)
	if err != nil {
		return err
	}
	if c.IsSet("network") && c.String("network") != f.Network {
		return fmt.Errorf("the file is for network %q, not %q", f.Network, c.String("network"))
	}
	return submitTxFile(c, net, f, tx)
}

func txShow(c *cli.Context) error {
	if err := exactArgs(c, 1, "FILE"); err != nil {
		return err
	}
	f, _, err := readTxFile(c.Args().First())
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, f)
	}
	fmt.Fprintf(c.App.Writer, "%s on %s (%s chain), txid %s\nsender %s, nonce %d\n", f.Type, f.Network, f.Chain, f.TxID, f.Sender, f.Nonce)
	for k, v := range f.Summary {
		fmt.Fprintf(c.App.Writer, "  %s: %v\n", k, v)
	}
	return nil
}

func txStatus(c *cli.Context) error {
	if err := exactArgs(c, 1, "TXID"); err != nil {
		return err
	}
	_, client, err := dialCommandAPI(c)
	if err != nil {
		return err
	}
	defer client.Close()
	var tr api.TxResult
	if err := client.Call(c.Context, "chain.getTransaction", map[string]string{"chain": c.String("chain"), "txid": c.Args().First()}, &tr); err != nil {
		// Not on the chain asked (metadata by default)? A transfer or a
		// bid is on the auction chain: look there before giving up.
		other := "auction"
		if c.String("chain") == "auction" {
			other = "metadata"
		}
		if c.IsSet("chain") || client.Call(c.Context, "chain.getTransaction", map[string]string{"chain": other, "txid": c.Args().First()}, &tr) != nil {
			return err
		}
		fmt.Fprintf(c.App.ErrWriter, "note: not on the %s chain; found on the %s chain (--chain %s)\n", c.String("chain"), other, other)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, tr)
	}
	if tr.Status == "confirmed" {
		fmt.Fprintf(c.App.Writer, "%s: in block %d (%d confirmations)\n", c.Args().First(), tr.Height, tr.Confirmations)
	} else {
		fmt.Fprintf(c.App.Writer, "%s: %s\n", c.Args().First(), tr.Status)
	}
	return nil
}
