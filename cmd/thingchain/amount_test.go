package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
)

// TestEveryAmountFlagIsStrict: every amount the CLI takes — each amount
// flag and wallet send's AMOUNT — refuses exponents, fractions of a base
// unit, negatives, amounts below one base unit and amounts over 2^64−1,
// with an error naming the flag (or argument) and quoting the value. The
// checks run before any node is contacted, so no node is needed.
func TestEveryAmountFlagIsStrict(t *testing.T) {
	t.Setenv("THINGCHAIN_PASSWORD", "correct horse")
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	to := k.PubKey().Address().Encode("tcr")
	common := []string{"--network", "regtest", "--wallet-dir", t.TempDir(), "--node", "http://127.0.0.1:1"}
	commands := []struct {
		name string
		args func(v string) []string
	}{
		{"AMOUNT", func(v string) []string { return []string{"wallet", "send", "alice", to, v} }},
		{"--fee", func(v string) []string { return []string{"wallet", "send", "alice", to, "1", "--fee", v} }},
		{"--amount", func(v string) []string { return []string{"wallet", "faucet", to, "--amount", v} }},
		{"--max-price-per-point", func(v string) []string {
			return []string{"wallet", "bid", "alice", "--filter", "kind=fridge", "--max-price-per-point", v}
		}},
		{"--fee", func(v string) []string {
			return []string{"wallet", "bid", "alice", "--filter", "kind=fridge", "--max-price-per-point", "10u", "--fee", v}
		}},
		{"--fee", func(v string) []string { return []string{"wallet", "reveal", "alice", "--fee", v} }},
		{"--fee", func(v string) []string { return []string{"wallet", "watch", "alice", "--fee", v} }},
		{"--delivery-fee", func(v string) []string {
			return []string{"devicesim", "--delivery-fee", v, "--node", "http://127.0.0.1:1"}
		}},
	}
	for _, bad := range []struct{ value, why string }{
		{"1e9u", "exponent"},
		{"12.5u", "fraction of a base unit"},
		{"-1", "negative"},
		{"0.000000001", "below one base unit"},
		{"18446744073709551616u", "2^64-1"},
		{"184467440737.09551616", "largest amount"},
	} {
		for _, c := range commands {
			args := c.args(bad.value)
			if args[0] == "wallet" {
				args = append(args, common...)
			}
			msg := runApp(t, true, args...)
			if !strings.Contains(msg, c.name+":") || !strings.Contains(msg, strconv.Quote(bad.value)) || !strings.Contains(msg, bad.why) {
				t.Errorf("%v: error %q should name %s, quote %q and say %q", args, msg, c.name, bad.value, bad.why)
			}
		}
	}
}
