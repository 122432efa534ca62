package main

import (
	"fmt"
	"os"

	"github.com/thingchain/thingchain/node"
)

func main() {
	node.Version = version
	app := newApp()
	if err := app.Run(interspersed(app, os.Args)); err != nil {
		fmt.Fprintln(os.Stderr, "error:", friendlyError(os.Args, err))
		os.Exit(1)
	}
}
