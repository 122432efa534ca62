package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed rewrites argv so flags may follow positional arguments
// (`chain generate 10 --chain auction`), which urfave/cli v2 does not parse
// by itself: for the innermost command named, its flags move before its
// positional arguments. "--" stops the rewrite.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmds := app.Commands
	flags := app.Flags
	i := 1
	// Walk global flags and command names to the innermost command.
	for i < len(args) {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			i += flagWidth(flags, a, args[i:])
			continue
		}
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				next = c
			}
		}
		if next == nil {
			break
		}
		cmds, flags = next.Subcommands, next.Flags
		i++
	}
	var flagArgs, positional []string
	for j := i; j < len(args); {
		a := args[j]
		if a == "--" {
			positional = append(positional, args[j:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 && !negativeNumber(a) {
			w := flagWidth(flags, a, args[j:])
			flagArgs = append(flagArgs, args[j:j+w]...)
			j += w
			continue
		}
		positional = append(positional, a)
		j++
	}
	out := append([]string{}, args[:i]...)
	out = append(out, flagArgs...)
	return append(out, positional...)
}

// negativeNumber reports whether an argument that starts with "-" is a
// number such as -1 or -0.5 (no flag name starts with a digit or a dot),
// so it stays a positional argument and its command can say why it is
// refused rather than calling it an unknown flag.
func negativeNumber(a string) bool {
	return len(a) > 1 && a[0] == '-' && (a[1] >= '0' && a[1] <= '9' || a[1] == '.')
}

// flagWidth is how many argv entries a flag occupies: 1 for booleans and
// --name=value, 2 for a value flag given as --name value.
func flagWidth(flags []cli.Flag, a string, rest []string) int {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return 1
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if _, isBool := f.(*cli.BoolFlag); isBool {
				return 1
			}
			if len(rest) > 1 {
				return 2
			}
		}
	}
	return 1
}
