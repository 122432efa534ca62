package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func newApp() *cli.App {
	return &cli.App{
		Name:  "thingchain",
		Usage: "a two-chain proof-of-work marketplace for IoT device data",
		Description: `thingchain runs a node with two proof-of-work chains: the metadata chain of
device records and the auction chain that sells month-long access to device data.

Examples:
   thingchain testnet                       # a local network with mining, in one command
   thingchain node --network regtest --mine --datadir ./node1
   thingchain chain info --datadir ./node1 --json`,
		Version:              version,
		EnableBashCompletion: true,
		Suggest:              true, // "Did you mean 'send'?" after an unknown command
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json"},
		},
		Commands: []*cli.Command{
			nodeCommand(),
			chainCommand(),
			testnetCommand(),
			walletCommand(),
			devicesCommand(),
			govCommand(),
			oemCommand(),
			ownerCommand(),
			txCommand(),
			devicesimCommand(),
			econCommand(),
			versionCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main prints errors once
	}
}

// friendlyError adds what to do to errors that do not say it: a node's
// refusal for want of funds, and urfave/cli's message for an unknown
// command ("No help topic for 'sned'").
func friendlyError(args []string, err error) error {
	var refusal *rpc.Error
	if errors.As(err, &refusal) && (refusal.Kind() != "" || refusal.Code == rpc.CodeInvalidParams || refusal.Code == rpc.CodeApplication) {
		// A rule refusal, bad parameters or the method's own answer ("not
		// found"): the message says what was wrong; the JSON-RPC code adds
		// nothing a person can act on.
		prefix := "the node answered: "
		if refusal.Kind() != "" || refusal.Code == rpc.CodeInvalidParams {
			prefix = "the node refused it: "
		}
		msg := strings.Replace(err.Error(), refusal.Error(), prefix+refusal.Message, 1)
		if refusal.Kind() == "ErrInsufficientFunds" {
			msg += ": spend less, or get coins first (on test and regtest: `thingchain wallet faucet NAME --amount A --wait`)"
		}
		return errors.New(msg)
	}
	rest, ok := strings.CutPrefix(err.Error(), "No help topic for ")
	if !ok {
		return err
	}
	name, hint, _ := strings.Cut(rest, ". ")
	where := "thingchain"
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case "'"+a+"'" == name:
			i = len(args)
		case a == "--log-level" || a == "--log-format":
			i++ // the global flag's value
		case !strings.HasPrefix(a, "-"):
			where += " " + a
		}
	}
	msg := fmt.Sprintf("unknown command %s", name)
	if hint != "" {
		msg += " (" + strings.TrimSuffix(hint, ".") + ")"
	}
	return fmt.Errorf("%s: `%s --help` lists the commands", msg, where)
}

// newLogger builds the process logger from the global flags.
func newLogger(c *cli.Context, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", c.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.String("log-format") {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", c.String("log-format"))
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

var jsonFlag = &cli.BoolFlag{Name: "json", Usage: "print machine-readable JSON"}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print the version",
		UsageText: "thingchain version [--json]\n\nExample:\n   thingchain version --json",
		Flags:     []cli.Flag{jsonFlag},
		Action: func(c *cli.Context) error {
			info := map[string]string{"version": version, "go": runtime.Version(), "os_arch": runtime.GOOS + "/" + runtime.GOARCH, "signature_verifier": keys.VerifyBackend}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						info["commit"] = s.Value
					}
				}
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, info)
			}
			fmt.Fprintf(c.App.Writer, "thingchain %s (%s, %s, signatures: %s)\n", version, info["go"], info["os_arch"], info["signature_verifier"])
			return nil
		},
	}
}

// exactArgs fails with a usage hint when a command gets the wrong number
// of positional arguments.
func exactArgs(c *cli.Context, n int, names ...string) error {
	if c.NArg() != n {
		return fmt.Errorf("%s needs %d argument(s) (%s), got %d: see `thingchain %s --help`", c.Command.FullName(), n, strings.Join(names, ", "), c.NArg(), c.Command.FullName())
	}
	return nil
}

var _ = os.Stderr
