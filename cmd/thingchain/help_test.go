package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api/rpc"
)

// TestEveryCommandDocumented walks the whole command tree: every command
// and subcommand has an example in its usage text or description, and
// its --help prints it; every command that runs (has an Action) takes
// --json. A group of subcommands (no Action of its own) prints nothing
// but its help, so it needs the example and not the flag.
func TestEveryCommandDocumented(t *testing.T) {
	var walk func(path []string, cmds []*cli.Command)
	seen := 0
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Name == "help" {
				continue
			}
			p := append(slices.Clone(path), c.Name)
			name := strings.Join(p, " ")
			seen++
			if !strings.Contains(c.UsageText, "Example") && !strings.Contains(c.Description, "Example") {
				t.Errorf("%s: neither its usage text nor its description has an example", name)
			}
			if c.Action != nil {
				hasJSON := false
				for _, f := range c.Flags {
					hasJSON = hasJSON || slices.Contains(f.Names(), "json")
				}
				if !hasJSON {
					t.Errorf("%s: no --json flag", name)
				}
			}
			if out := runApp(t, false, append(p, "--help")...); !strings.Contains(out, "Example") {
				t.Errorf("%s --help does not show the example:\n%s", name, out)
			}
			walk(p, c.Subcommands)
		}
	}
	walk(nil, newApp().Commands)
	if seen < 40 {
		t.Fatalf("walked only %d commands: the walk is broken", seen)
	}
}

// TestUnknownCommandSaysWhatToDo: a mistyped command or subcommand fails
// with a suggestion and the help command to run, not urfave/cli's "No
// help topic".
func TestUnknownCommandSaysWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"wallet", "sned", "alice", "bob", "1"}, "unknown command 'sned' (Did you mean \"send\"?): `thingchain wallet --help` lists the commands"},
		{[]string{"--log-level", "debug", "walet", "new"}, "unknown command 'walet' (Did you mean \"wallet\"?): `thingchain --help` lists the commands"},
	} {
		err := friendlyError(append([]string{"thingchain"}, tc.args...), errors.New(runApp(t, true, tc.args...)))
		if err.Error() != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, err, tc.want)
		}
	}
}

// TestRefusalSaysWhatToDo: a node's rule refusal drops the JSON-RPC code
// and, for missing funds, says how to get coins.
func TestRefusalSaysWhatToDo(t *testing.T) {
	refusal := &rpc.Error{Code: rpc.CodeApplication, Message: "ErrInsufficientFunds: tcr1q has 1 THG, needs 5 THG", Data: rpc.ErrorData{Kind: "ErrInsufficientFunds"}}
	got := friendlyError([]string{"thingchain"}, fmt.Errorf("submit: %w", refusal)).Error()
	want := "submit: the node refused it: ErrInsufficientFunds: tcr1q has 1 THG, needs 5 THG: spend less, or get coins first"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("%q, want it to start with %q", got, want)
	}
	plain := errors.New("no node running")
	if friendlyError([]string{"thingchain"}, plain) != plain {
		t.Fatal("an error that says what to do is changed")
	}
}
