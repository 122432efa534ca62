package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/wallet"
)

// Following bids to their end, for `wallet bid` (its own new bids) and
// `wallet watch` (every unfinished bid of the key's bid book): reveals in
// the reveal phase, payments of bond-only wins, and a line per auction
// whenever its stage changes, until every bid has ended — lost and
// refunded, forfeited, or won with the key delivered. Ctrl-C stops and
// prints the command that resumes; everything needed is in the bid book.

func walletWatchCommand() *cli.Command {
	flags := []cli.Flag{walletNetFlag, walletDirFlag, nodeURLFlag, dataDirFlag, jsonFlag, passwordFileFlag,
		&cli.StringFlag{Name: "fee", Value: "0.0001", Usage: "fee of each reveal or payment, " + amountUsage},
		&cli.BoolFlag{Name: "forever", Usage: "keep running after every bid ended, for bids placed later (a service)"},
		&cli.DurationFlag{Name: "timeout", Usage: "stop after this long", DefaultText: "none: until every bid ended"},
	}
	return &cli.Command{
		Name:  "watch",
		Usage: "follow a key's saved bids to their end: reveal, pay bond-only wins, report keys delivered",
		UsageText: `thingchain wallet watch NAME [--forever] [--fee F] [--json]

Resumes what ` + "`wallet bid`" + ` does while it waits, for every bid in NAME's bid book
that has not ended: sends reveals in the reveal phase, pays won bond-only bids
within their payment window, and shows each auction's progress until every
bid ended (lost and refunded, forfeited, or won with the access key
delivered). It needs nothing but the bid book and a node, so it can be
stopped and started again at any time (Ctrl-C, a reboot); --forever keeps it
running as a service for bids placed later.

Example:
   thingchain wallet watch alice --network regtest --datadir ./n1`,
		Flags:  flags,
		Action: walletWatch,
	}
}

func walletWatch(c *cli.Context) error {
	s, err := openBidSession(c, 1, "NAME")
	if err != nil {
		return err
	}
	defer s.client.Close()
	last, err := followBids(c, s, nil, c.Bool("forever"), c.Duration("timeout"))
	if err != nil || !c.Bool("json") {
		return err
	}
	return printJSON(c.App.Writer, map[string]any{"bids": progressList(last), "ended": last.Ended, "total": last.Total})
}

// progressList is the followed bids of the last event, never null.
func progressList(ev *wallet.FollowEvent) []wallet.BidProgress {
	if ev == nil || ev.Bids == nil {
		return []wallet.BidProgress{}
	}
	return ev.Bids
}

// outcomeLabel words each outcome for the closing summary.
var outcomeLabel = map[wallet.Outcome]string{
	wallet.OutcomeDelivered:   "won with the key delivered",
	wallet.OutcomeLost:        "lost (deposit refunded)",
	wallet.OutcomeUndelivered: "won but not delivered (price refunded)",
	wallet.OutcomeForfeited:   "forfeited",
	wallet.OutcomeRejected:    "not committed (nothing escrowed)",
}

// paymentWindow says how long a bond-only winner has to pay, in blocks
// and roughly in time.
func paymentWindow(net *consensus.Params) string {
	blocks := net.Auctions.PaymentBlocks
	spacing, how := net.Auction.TargetSpacing, ""
	if net.MineOnDemand {
		spacing, how = time.Second, " with `node --mine`"
	}
	return fmt.Sprintf("%d blocks (about %s%s)", blocks, time.Duration(blocks)*spacing, how)
}

// resumeCommand is the command line that resumes following NAME's bids
// with the same wallet and node options.
func resumeCommand(c *cli.Context) string {
	parts := []string{"thingchain wallet watch", c.Args().First()}
	if net, err := commandNetwork(c); err == nil { // the network in use, even when --datadir chose it
		parts = append(parts, "--network", net.Name)
	}
	for _, name := range []string{"wallet-dir", "datadir", "node", "password-file"} {
		if c.IsSet(name) {
			parts = append(parts, "--"+name, shellQuote(c.String(name)))
		}
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// followBids follows the bids of the auctions in only (nil: every
// unfinished bid of the book) until each has ended, printing (unless
// --json) a line whenever one's stage changes, and returns the last
// progress event. On Ctrl-C or SIGTERM it prints how to resume and
// returns no error; with a timeout it returns an error saying the same.
func followBids(c *cli.Context, s *bidSession, only map[wire.Hash]bool, forever bool, timeout time.Duration) (*wallet.FollowEvent, error) {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	jsonOut := c.Bool("json")
	out, errOut := c.App.Writer, c.App.ErrWriter
	name := c.Args().First()
	wc := watchClient(c, s)
	defer wc.Close()
	if !jsonOut {
		fmt.Fprintf(out, "following the bids until each ends (Ctrl-C stops; resume any time with: %s)\n", resumeCommand(c))
	}
	shown := map[wire.Hash]string{}
	var last wallet.FollowEvent
	err := s.b.Follow(ctx, wc, s.key, s.fee, 500*time.Millisecond, only, forever, func(ev wallet.FollowEvent) bool {
		if ev.Err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(errOut, "height %d: %v (retrying at the next block)\n", ev.Height, ev.Err)
			}
			return false
		}
		last = ev
		if jsonOut {
			return false
		}
		if ev.Reveal != nil && len(ev.Reveal.TxIDs) > 0 {
			fmt.Fprintf(out, "height %d: revealed %d bids in %s\n", ev.Height, len(ev.Reveal.Revealed), joinHashes(ev.Reveal.TxIDs))
		}
		if ev.Pay != nil && len(ev.Pay.TxIDs) > 0 {
			fmt.Fprintf(out, "height %d: paid %d won bond-only auctions (%s) in %s\n", ev.Height, len(ev.Pay.Paid), ledger.FormatAmount(ev.Pay.Owed), joinHashes(ev.Pay.TxIDs))
		}
		at := fmt.Sprintf("height %-6d", ev.Height)
		if ev.Height == 0 {
			at = fmt.Sprintf("%-13s", "now")
		}
		var keys map[wire.Hash]wallet.AccessKey // read once per head, when a key arrived
		for _, p := range ev.Bids {
			if shown[p.Auction] == p.Detail {
				continue
			}
			shown[p.Auction] = p.Detail
			fmt.Fprintf(out, "%s  device %s  auction %s  %s\n", at, short(p.Device), short(p.Auction.String()), p.Detail)
			if p.Outcome != wallet.OutcomeDelivered {
				continue
			}
			// Collect the key: decrypt it and check it against the hash
			// the device committed to, so a bad key shows now.
			if keys == nil {
				keys = map[wire.Hash]wallet.AccessKey{}
				if ks, err := s.b.Keys(ctx, wc, s.key); err == nil {
					for _, k := range ks {
						keys[k.Auction] = k
					}
				}
			}
			switch k, ok := keys[p.Auction]; {
			case !ok:
				fmt.Fprintf(out, "              key: see `thingchain wallet keys %s`\n", name)
			case k.Error != "":
				fmt.Fprintf(out, "              key UNUSABLE: %s\n", k.Error)
			default:
				fmt.Fprintf(out, "              key decrypted and matches its hash, valid until %s; data: thingchain wallet fetch %s %s\n",
					k.Expires.Local().Format(time.RFC3339), name, p.Device)
			}
		}
		return false
	})
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		book := s.b.Book.Path()
		if errors.Is(err, context.DeadlineExceeded) && c.Context.Err() == nil {
			return &last, fmt.Errorf("stopped after %s with %d of %d bids still running; they are saved in %s: resume with `%s`", timeout, last.Total-last.Ended, last.Total, book, resumeCommand(c))
		}
		fmt.Fprintf(errOut, "\nstopped following; %d of %d bids have not ended yet and are saved in %s.\n", last.Total-last.Ended, last.Total, book)
		fmt.Fprintf(errOut, "Unrevealed bids must be revealed in their reveal phase, and won bond-only bids paid in their window, or deposits are forfeited.\nResume with:\n  %s\n", resumeCommand(c))
		return &last, nil
	}
	if err != nil {
		return &last, err
	}
	counts := map[wallet.Outcome]int{}
	for _, p := range last.Bids {
		counts[p.Outcome]++
	}
	if jsonOut {
		return &last, nil
	}
	if last.Total == 0 {
		fmt.Fprintf(out, "no bid to follow: every bid in %s has ended (see `thingchain wallet auctions %s`)\n", s.b.Book.Path(), name)
		return &last, nil
	}
	var parts []string
	for o, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, outcomeLabel[o]))
	}
	sort.Strings(parts)
	fmt.Fprintf(out, "all %d bids ended: %s\n", last.Total, strings.Join(parts, ", "))
	if counts[wallet.OutcomeDelivered] > 0 {
		fmt.Fprintf(out, "access keys: thingchain wallet keys %s; data: thingchain wallet fetch %s DEVICE\n", name, name)
	}
	return &last, nil
}
