package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/auction/econ"
)

func econCommand() *cli.Command {
	return &cli.Command{
		Name:  "econ",
		Usage: "simulate the market and report whether data scientists, device owners and miners all gain",
		UsageText: `thingchain econ --out DIR [--quick] [--seed N] [--scenario FILE] [--no-sweep] [--json]
thingchain econ --write-scenario FILE

Runs market scenarios through the real auction state machine (an auction chain
on a temporary Badger directory, signed bids, reveals, settlement, key delivery,
the metadata miners' pool) and writes DIR/index.html (open it in a browser),
SVG plots, DIR/summary.json and CSV files of every series. The full run adds a
sensitivity sweep over the fee and bond parameters, reserve prices, bidders per
device and device count. docs/economics.md explains every assumption.

Examples:
   thingchain econ --out ./econ --quick                  # under a minute
   thingchain econ --out ./econ --seed 7                 # baseline + full sweep
   thingchain econ --write-scenario my.json              # the defaults, to edit
   thingchain econ --out ./econ --scenario my.json --json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "directory for the report (created if missing)"},
			&cli.BoolFlag{Name: "quick", Usage: "a smaller market, fewer months and a three-point sweep"},
			&cli.Uint64Flag{Name: "seed", Usage: "random seed (default: the scenario's)"},
			&cli.StringFlag{Name: "scenario", Usage: "JSON file of assumptions; fields it omits keep the defaults"},
			&cli.BoolFlag{Name: "no-sweep", Usage: "only the baseline run"},
			&cli.IntFlag{Name: "workers", Usage: "sweep runs in parallel (0: one per core)"},
			&cli.StringFlag{Name: "write-scenario", Usage: "write the default scenario to FILE and exit"},
			jsonFlag,
		},
		Action: econRun,
	}
}

func econRun(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("econ takes no arguments (got %q); see thingchain econ --help", c.Args().First())
	}
	base := econ.DefaultScenario()
	if c.Bool("quick") {
		base = econ.QuickScenario()
	}
	if path := c.String("write-scenario"); path != "" {
		b, err := json.MarshalIndent(base, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("--write-scenario: %w", err)
		}
		fmt.Fprintf(c.App.Writer, "wrote %s; edit it and run: thingchain econ --out DIR --scenario %s\n", path, path)
		return nil
	}
	out := c.String("out")
	if out == "" {
		return fmt.Errorf("--out DIR is required: the directory the report is written to")
	}
	// Refuse an unwritable --out now, not after minutes of simulation.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w: choose a directory you can write", out, err)
	}
	probe, err := os.CreateTemp(out, ".econ-write-test-*")
	if err != nil {
		return fmt.Errorf("--out %s: %w: choose a directory you can write", out, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	s := base
	if path := c.String("scenario"); path != "" {
		var err error
		if s, err = econ.LoadScenario(path, base); err != nil {
			return err
		}
	}
	if c.IsSet("seed") {
		s.Seed = c.Uint64("seed")
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("scenario: %w", err)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt)
	defer stop()
	start := time.Now()
	progress := func(line string) {
		fmt.Fprintf(c.App.ErrWriter, "[%5.1fs] %s\n", time.Since(start).Seconds(), line)
	}
	rep, err := econReport(ctx, s, c.Bool("quick"), !c.Bool("no-sweep"), c.Int("workers"), progress)
	if err != nil {
		return err
	}
	if err := rep.Write(out); err != nil {
		return fmt.Errorf("writing the report to %s: %w", out, err)
	}
	index, _ := filepath.Abs(filepath.Join(out, "index.html"))
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"report": index, "findings": rep.Findings, "checks": rep.Baseline.Checks, "seconds": time.Since(start).Seconds()})
	}
	f := rep.Findings
	fmt.Fprintf(c.App.Writer, "Net gain per month (THG):\n")
	for _, p := range econ.Parties {
		fmt.Fprintf(c.App.Writer, "  %-16s %+12.4f\n", p, f.NetPerMonth[p])
	}
	if f.AllGain {
		fmt.Fprintln(c.App.Writer, "Every party gains.")
	} else {
		fmt.Fprintln(c.App.Writer, "Not every party gains: see the sensitivity section of the report.")
	}
	fmt.Fprintf(c.App.Writer, "Report: %s (%.1f s)\n", index, time.Since(start).Seconds())
	return nil
}

// econReport runs the baseline and, when asked, the sweep around it.
func econReport(ctx context.Context, s econ.Scenario, quick, sweep bool, workers int, progress func(string)) (*econ.Report, error) {
	progress(fmt.Sprintf("baseline %q: %d months", s.Name, s.Rounds))
	base, err := econ.Run(ctx, s, "", progress)
	if err != nil {
		return nil, err
	}
	rep := &econ.Report{Baseline: base}
	if sweep {
		ss := econ.SweepBase(s, quick)
		rep.Sweep, err = econ.Sweep(ctx, ss, econ.Axes(quick), workers, progress)
		if err != nil {
			return nil, err
		}
	}
	rep.Findings = econ.Analyse(base, rep.Sweep)
	return rep, nil
}
