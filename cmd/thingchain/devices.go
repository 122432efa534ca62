package main

import (
	"context"
	"fmt"
	apiclient "github.com/thingchain/thingchain/api/client"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/devicesim/wotcheck"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/registry"
)

func devicesCommand() *cli.Command {
	return &cli.Command{
		Name:  "devices",
		Usage: "query the device records of the metadata chain",
		Description: `Examples:
   thingchain devices list --filter kind=thermostat --filter region=EU --datadir ./n1 --json
   thingchain devices check http://127.0.0.1:8123/things/02ab...ef/td --token "$ACCESS_KEY"`,
		Subcommands: []*cli.Command{
			{
				Name:  "list",
				Usage: "list devices matching filters, one page at a time",
				UsageText: `thingchain devices list [--filter KEY=VALUE]... [--offset N] [--limit N] [--node URL | --datadir DIR] [--json]

Filter keys (all given filters must match):
   kind=fridge            device kind
   model=acme-fridge-x1   model ID
   oem=HEX                attesting OEM's public key
   region=EU              region prefix (EU matches EU and EU-DE)
   prop:NAME=TYPE         the Thing Description has property NAME (TYPE: number, boolean, ... or * for any)
   meta:FIELD=VALUE       metadata FIELD equals VALUE
   max-reserve=N          reserve price per data point at most N
   enabled=true|false     owner has check-in enabled

Example:
   thingchain devices list --node http://127.0.0.1:18445 --filter kind=thermostat --filter region=EU --filter enabled=true`,
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "KEY=VALUE condition (repeatable; see above)"},
					&cli.IntFlag{Name: "offset", Usage: "skip this many matches"},
					&cli.IntFlag{Name: "limit", Value: registry.DefaultQueryLimit, Usage: fmt.Sprintf("page size, at most %d", registry.MaxQueryLimit)},
					nodeURLFlag, dataDirFlag,
					&cli.StringFlag{Name: "network", Aliases: []string{"n"}, Value: "test", Usage: "network whose default API port to use without --node or --datadir"},
					jsonFlag,
				},
				Action: devicesList,
			},
			{
				Name:  "check",
				Usage: "act as a generic W3C WoT client: read every affordance of a device through its TD and validate each reply",
				UsageText: `thingchain devices check TD-URL|TD-FILE [--token KEY] [--json]

Fetches the Thing Description at TD-URL (or reads TD-FILE), reads every property, the
readallproperties form and every safe action through the TD's own forms,
and validates each reply against the TD's data schema. Exits non-zero if
any interaction fails.

Example:
   thingchain devices check http://127.0.0.1:8123/things/02ab...ef/td --token "$ACCESS_KEY"`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "token", Usage: "bearer access key sent with every request"},
					&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "limit for the whole check"},
					jsonFlag,
				},
				Action: devicesCheck,
			},
		},
	}
}

// parseDeviceFilters turns KEY=VALUE arguments into an API filter.
func parseDeviceFilters(args []string) (apitypes.DeviceFilter, error) {
	var f apitypes.DeviceFilter
	for _, a := range args {
		key, value, ok := strings.Cut(a, "=")
		if !ok || key == "" {
			return f, fmt.Errorf("filter %q: want KEY=VALUE, e.g. kind=fridge", a)
		}
		switch {
		case key == "kind":
			f.Kind = value
		case key == "model":
			f.Model = value
		case key == "oem":
			f.OEM = value
		case key == "region":
			f.RegionPrefix = value
		case key == "enabled":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return f, fmt.Errorf("filter %q: enabled takes true or false", a)
			}
			f.Enabled = &b
		case key == "max-reserve":
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				if units, perr := ledger.ParseAmount(value); perr == nil {
					// The filter language (shared with the web app) counts
					// base units; say what the amount the user meant is.
					return f, fmt.Errorf("filter %q: max-reserve takes a whole number of base units: %s is max-reserve=%d", a, ledger.FormatAmount(units), units)
				}
				return f, fmt.Errorf("filter %q: max-reserve takes a whole number of base units (1 THG = %d)", a, ledger.Coin)
			}
			f.MaxReserve = &n
		case strings.HasPrefix(key, "prop:") && len(key) > len("prop:"):
			if f.Properties == nil {
				f.Properties = map[string]string{}
			}
			if value == "*" {
				value = ""
			}
			f.Properties[strings.TrimPrefix(key, "prop:")] = value
		case strings.HasPrefix(key, "meta:") && len(key) > len("meta:"):
			if f.Metadata == nil {
				f.Metadata = map[string]string{}
			}
			f.Metadata[strings.TrimPrefix(key, "meta:")] = value
		default:
			return f, fmt.Errorf("filter %q: unknown key %q; use kind, model, oem, region, enabled, max-reserve, prop:NAME or meta:FIELD", a, key)
		}
	}
	return f, nil
}

func devicesList(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: filters go in --filter KEY=VALUE", c.Args().First())
	}
	f, err := parseDeviceFilters(c.StringSlice("filter"))
	if err != nil {
		return err
	}
	f.Offset, f.Limit = c.Int("offset"), c.Int("limit")
	if f.Offset < 0 || f.Limit < 1 || f.Limit > registry.MaxQueryLimit {
		return fmt.Errorf("--offset must be ≥ 0 and --limit between 1 and %d", registry.MaxQueryLimit)
	}
	_, client, err := dialCommandAPI(c)
	if err != nil {
		return err
	}
	defer client.Close()
	res, err := apiclient.New(client).Devices(c.Context, f)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, res)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tKIND\tMODEL\tREGION\tRESERVE/POINT\tPOINTS\tENABLED\tOWNER")
	for _, d := range res.Devices {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%v\t%s\n", d.Device, d.Kind, d.Model, d.Region, ledger.FormatAmount(d.Terms.ReservePerPoint), d.Terms.PointsPerPeriod, d.Enabled, d.Owner)
	}
	tw.Flush()
	fmt.Fprintf(c.App.Writer, "%d of %d matching devices (offset %d)\n", len(res.Devices), res.Total, f.Offset)
	return nil
}

func devicesCheck(c *cli.Context) error {
	if err := exactArgs(c, 1, "TD-URL"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	opts := wotcheck.Options{}
	if tok := c.String("token"); tok != "" {
		opts.Authorization = "Bearer " + tok
	}
	var td []byte
	var err error
	if arg := c.Args().First(); !strings.HasPrefix(arg, "http://") && !strings.HasPrefix(arg, "https://") {
		if td, err = os.ReadFile(arg); err != nil { // a TD file; its base or absolute hrefs say where the device is
			err = fmt.Errorf("%w: give a Thing Description file or its http(s):// URL", err)
		}
	} else {
		td, err = wotcheck.FetchTD(ctx, arg, opts)
	}
	if err != nil {
		return err
	}
	rep, err := wotcheck.Check(ctx, td, opts)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if err := printJSON(c.App.Writer, rep); err != nil {
			return err
		}
		return rep.Err()
	}
	for _, r := range rep.Results {
		mark := "ok  "
		switch {
		case r.Skipped:
			mark = "skip"
		case !r.OK:
			mark = "FAIL"
		}
		fmt.Fprintf(c.App.Writer, "%s %-28s %-18s %s %s\n", mark, r.Affordance, r.Op, r.URL, r.Detail)
	}
	fmt.Fprintf(c.App.Writer, "%q: %d passed, %d failed, %d skipped\n", rep.Title, rep.Passed, rep.Failed, rep.Skipped)
	if err := rep.Err(); err != nil && c.String("token") == "" && onlyUnauthorized(rep) {
		return fmt.Errorf("%w: the device wants an access key for every interaction: pass --token AUCTION.KEY (`thingchain wallet keys NAME --json` gives a won auction and its key)", err)
	}
	return rep.Err()
}

// onlyUnauthorized reports whether every failed interaction was refused
// with HTTP 401 (no access key), the expected answer of a device checked
// without --token.
func onlyUnauthorized(rep *wotcheck.Report) bool {
	failed := 0
	for _, r := range rep.Results {
		if !r.OK && !r.Skipped {
			if r.Status != 401 {
				return false
			}
			failed++
		}
	}
	return failed > 0
}
