package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	apiclient "github.com/thingchain/thingchain/api/client"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/registry"
	"github.com/thingchain/thingchain/wallet"
)

// The auction side of the wallet: sealed bids on many devices in one
// transaction, reveals kept in the bid book and sent when the reveal
// phase opens, payments, delivered access keys and data downloads.

func walletAuctionCommands() []*cli.Command {
	flags := []cli.Flag{walletNetFlag, walletDirFlag, nodeURLFlag, dataDirFlag, jsonFlag}
	feeFlag := &cli.StringFlag{Name: "fee", Value: "0.0001", Usage: "fee per transaction, " + amountUsage}
	withKey := func(extra ...cli.Flag) []cli.Flag {
		return append(append(extra, passwordFileFlag), flags...)
	}
	return []*cli.Command{
		{
			Name:  "bid",
			Usage: "bid on every device matching filters, in one batch of sealed bids",
			UsageText: `thingchain wallet bid NAME --filter KEY=VALUE... --max-price-per-point X [--limit N] [--fee F] [--bond-only] [--no-wait]

Finds enabled devices matching the filters (same keys as ` + "`thingchain devices list`" + `:
kind, model, oem, region, prop:NAME, meta:FIELD, max-reserve), and commits
one sealed bid of X per data point on each, in one transaction. Auctions are
second-price: you pay the next-highest bid (or the reserve), so bid what
the data is worth to you. The bids' salts are saved in the wallet's bid book
before anything is sent: keep that directory backed up.

Deposits. By default each bid escrows its full maximum (X × the device's
points per period): a win pays the second price straight from it at the
close and the rest comes back, so there is nothing to pay and no payment
window to miss. --bond-only escrows only the bond (10 %) and keeps the
rest of your balance free, but a win must then be paid within the payment
window (a few blocks) or the bond is forfeited and the next bidder wins.

Waiting. By default the command stays until every bid has ended (lost and
refunded, or won with the access key delivered), revealing the bids in
their reveal phase, paying bond-only wins, and printing each auction's
progress. Ctrl-C stops it and prints the ` + "`thingchain wallet watch NAME`" + `
command that resumes. --no-wait returns after committing (for scripts);
then ` + "`wallet watch NAME`" + ` must run during the reveal phase, or the
bids are forfeited.

Prices are in THG (0.5) or base units (10u); reserves are in base units.

Example:
   thingchain wallet bid alice --filter kind=fridge --filter region=EU --max-price-per-point 10u --limit 20 --network regtest --datadir ./n1`,
			Flags: withKey(
				&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "KEY=VALUE device condition (repeatable); enabled=true is implied"},
				&cli.StringFlag{Name: "max-price-per-point", Usage: "the bid: price per data point, " + amountUsage, Required: true},
				&cli.IntFlag{Name: "limit", Value: 100, Usage: fmt.Sprintf("bid on at most this many devices (at most %d)", registry.MaxQueryLimit)},
				feeFlag,
				&cli.BoolFlag{Name: "bond-only", Usage: "escrow only the bond (10%): a win must then be paid within the payment window or the bond is forfeited"},
				&cli.BoolFlag{Name: "no-wait", Usage: "return after committing (for scripts); then run: wallet watch NAME"},
				&cli.DurationFlag{Name: "timeout", Usage: "stop waiting after this long", DefaultText: "none: until every bid ended"},
			),
			Action: walletBid,
		},
		{
			Name:  "reveal",
			Usage: "reveal the bids whose reveal phase is open, and pay for won auctions",
			UsageText: `thingchain wallet reveal NAME [--fee F] [--watch]

Sends one batch reveal for every saved bid whose auction is in its reveal
phase, and the payment of every auction this key won whose deposit does not
cover the price (bond-only bids). With --watch it keeps following the chain
and does so at every new block until interrupted. ` + "`wallet watch NAME`" + ` does
the same and also shows each auction's progress until every bid ended.

Example:
   thingchain wallet reveal alice --network regtest --datadir ./n1`,
			Flags: withKey(feeFlag,
				&cli.BoolFlag{Name: "watch", Usage: "keep running: reveal and pay automatically at every block"},
			),
			Action: walletReveal,
		},
		{
			Name:  "auctions",
			Usage: "the auctions a key bid in: phase, own bid, winner and price",
			UsageText: `thingchain wallet auctions NAME|ADDRESS [--json]

Example:
   thingchain wallet auctions alice --network regtest --datadir ./n1`,
			Flags:  flags,
			Action: walletAuctions,
		},
		{
			Name:  "keys",
			Usage: "access keys delivered to a key's won auctions, decrypted, with their expiry",
			UsageText: `thingchain wallet keys NAME [--json]

Example:
   thingchain wallet keys alice --network regtest --datadir ./n1 --json`,
			Flags:  withKey(),
			Action: walletKeys,
		},
		{
			Name:  "fetch",
			Usage: "download a device's data with the access key won in its auction",
			UsageText: `thingchain wallet fetch NAME DEVICE [--property P]

Finds the valid access key delivered for DEVICE, reads the data endpoint
from the device's Thing Description on the metadata chain, and GETs it with
"Authorization: Bearer <auction-id>.<key>". Prints the JSON. DEVICE is the
device's hex public key, the short form ` + "`wallet keys NAME`" + ` prints
(0287de71…8d70b0) or a unique hex prefix of at least 6 characters.

Examples:
   thingchain wallet fetch alice 0287de71…8d70b0 --datadir ./n1
   thingchain wallet fetch alice 0287de71 --property room_temp_c --network regtest --datadir ./n1`,
			Flags: withKey(
				&cli.StringFlag{Name: "property", Aliases: []string{"p"}, Usage: "one property (default: all properties)"},
				&cli.DurationFlag{Name: "http-timeout", Value: 30 * time.Second, Usage: "timeout of the data request"},
			),
			Action: walletFetch,
		},
		walletWatchCommand(),
	}
}

// unlockKey reads a key file by name or address and decrypts it.
func unlockKey(c *cli.Context, w *walletContext, nameOrAddress string) (*keys.PrivateKey, string, error) {
	kf, err := w.store.Get(nameOrAddress)
	if err != nil {
		return nil, "", err
	}
	if hrp := kf.HRP(); hrp != w.net.AddressHRP {
		return nil, "", fmt.Errorf("key %q is for addresses %s1…, not network %q (pass --network)", kf.Name, hrp, w.net.Name)
	}
	pw, err := wallet.ReadPassword(passwordOptions(c, fmt.Sprintf("Password for %s: ", kf.Name)))
	if err != nil {
		return nil, "", err
	}
	key, err := wallet.DecryptKey(kf, pw)
	if err != nil {
		return nil, "", err
	}
	return key, kf.Name, nil
}

func (w *walletContext) bidder(addr keys.Address) (*wallet.Bidder, error) {
	book, err := w.store.BidBook(addr.Encode(w.net.AddressHRP))
	if err != nil {
		return nil, err
	}
	return wallet.NewBidder(w.net, book), nil
}

// bidSession is what the key-holding auction commands share.
type bidSession struct {
	w      *walletContext
	key    *keys.PrivateKey
	addr   keys.Address
	b      *wallet.Bidder
	client *rpc.Client
	fee    uint64
}

func openBidSession(c *cli.Context, nargs int, names ...string) (*bidSession, error) {
	if err := exactArgs(c, nargs, names...); err != nil {
		return nil, err
	}
	w, err := openWallet(c)
	if err != nil {
		return nil, err
	}
	s := &bidSession{w: w}
	if c.IsSet("fee") || c.String("fee") != "" { // commands without --fee read ""
		if s.fee, err = amountFlag(c, "fee"); err != nil {
			return nil, err
		}
	}
	if s.key, _, err = unlockKey(c, w, c.Args().First()); err != nil {
		return nil, err
	}
	s.addr = s.key.PubKey().Address()
	if s.b, err = w.bidder(s.addr); err != nil {
		return nil, err
	}
	if s.client, err = dialNode(c, w); err != nil {
		return nil, err
	}
	return s, nil
}

func short(s string) string {
	if len(s) > 16 {
		return s[:8] + "…" + s[len(s)-6:]
	}
	return s
}

func walletBid(c *cli.Context) error {
	price, err := amountFlag(c, "max-price-per-point")
	if err != nil {
		return err
	}
	if price == 0 {
		return errors.New("--max-price-per-point must be positive")
	}
	limit := c.Int("limit")
	if limit < 1 || limit > registry.MaxQueryLimit {
		return fmt.Errorf("--limit must be between 1 and %d", registry.MaxQueryLimit)
	}
	f, err := parseDeviceFilters(c.StringSlice("filter"))
	if err != nil {
		return err
	}
	if f.Enabled != nil && !*f.Enabled {
		return errors.New("filter enabled=false: disabled devices cannot be bid on")
	}
	enabled := true
	f.Enabled = &enabled
	if f.MaxReserve == nil || *f.MaxReserve > price {
		f.MaxReserve = &price // a reserve above the bid cannot be met
	}
	f.Limit = limit
	s, err := openBidSession(c, 1, "NAME")
	if err != nil {
		return err
	}
	defer s.client.Close()
	s.b.BondOnly = c.Bool("bond-only")
	found, err := apiclient.New(s.client).Devices(c.Context, f)
	if err != nil {
		return fmt.Errorf("registry.devices: %w", err)
	}
	if len(found.Devices) == 0 {
		return fmt.Errorf("no enabled device matches the filters with a reserve of at most %s per point: try `thingchain devices list` with the same filters", ledger.FormatAmount(price))
	}
	devices := make([]string, len(found.Devices))
	for i, d := range found.Devices {
		devices[i] = d.Device
	}
	// Ctrl-C while the commits go out stops them; whatever was saved is
	// in the bid book, and the message says how to follow it.
	bidCtx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	res, err := s.b.Bid(bidCtx, s.client, s.key, devices, price, s.fee)
	interrupted := bidCtx.Err() != nil && c.Context.Err() == nil
	stop()
	if interrupted {
		return fmt.Errorf("interrupted while committing (%v); any bid already sent is saved in %s: follow it with `%s`", err, s.b.Book.Path(), resumeCommand(c))
	}
	if err != nil {
		if res != nil && !c.Bool("json") {
			printSkipped(c.App.Writer, res.Skipped)
		}
		return err
	}
	out := map[string]any{"bidder": s.addr.Encode(s.w.net.AddressHRP), "bids": res.Bids, "skipped": res.Skipped,
		"txids": res.TxIDs, "deposit": res.Deposit, "fees": res.Fees, "bid_book": s.b.Book.Path()}
	if !c.Bool("json") {
		tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DEVICE\tAUCTION\tBID/PT\tPOINTS\tDEPOSIT\t")
		for _, b := range res.Bids {
			opens := ""
			if b.Opens {
				opens = " (opens it)"
			}
			fmt.Fprintf(tw, "%s\t%s%s\t%s\t%d\t%s\t\n", short(b.Device), short(b.Auction.String()), opens, ledger.FormatAmount(b.AmountPerPoint), b.Points, ledger.FormatAmount(b.Deposit))
		}
		tw.Flush()
		printSkipped(c.App.Writer, res.Skipped)
		fmt.Fprintf(c.App.Writer, "committed %d sealed bids in %d transaction(s): %s\ndeposits %s, fees %s; salts saved in %s\n",
			len(res.Bids), len(res.TxIDs), joinHashes(res.TxIDs), ledger.FormatAmount(res.Deposit), ledger.FormatAmount(res.Fees), s.b.Book.Path())
		depositNotice(c.App.Writer, s, c.Args().First(), res.Deposit)
	}
	if c.Bool("no-wait") {
		if c.Bool("json") {
			return printJSON(c.App.Writer, out)
		}
		fmt.Fprintf(c.App.Writer, "not waiting: the bids must be revealed in their reveal phase%s. Run (or leave running):\n  %s\n",
			map[bool]string{true: " and won bids paid within their payment window", false: ""}[s.b.BondOnly], resumeCommand(c))
		return nil
	}
	mine := map[wire.Hash]bool{}
	for _, b := range res.Bids {
		mine[b.Auction] = true
	}
	last, err := followBids(c, s, mine, false, c.Duration("timeout"))
	if err != nil || !c.Bool("json") {
		return err
	}
	out["progress"] = progressList(last)
	return printJSON(c.App.Writer, out)
}

// depositNotice says what the deposits of the bids just placed mean.
func depositNotice(w io.Writer, s *bidSession, name string, deposit uint64) {
	if !s.b.BondOnly {
		fmt.Fprintf(w, "full deposits: %s in escrow covers every bid's maximum. A win pays the second price from it at the close and\n"+
			"the rest comes back at once: nothing to pay, no payment window to miss. Bids still need revealing in their reveal phase.\n", ledger.FormatAmount(deposit))
		return
	}
	p := s.w.net.Auctions
	fmt.Fprintf(w, "BOND-ONLY: each deposit is only the %d%% bond. A winning bid must pay the rest of its price within %s after its\n"+
		"auction closes, or the bond is FORFEITED and the next bidder wins. Only a running `wallet bid` or `wallet watch %s` pays for you:\n"+
		"keep one running until every bid ended.\n", p.BondPermille/10, paymentWindow(s.w.net), name)
}

func joinHashes(hs []wire.Hash) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, ", ")
}

func printSkipped(w io.Writer, skipped []wallet.SkippedDevice) {
	for _, s := range skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", short(s.Device), s.Reason)
	}
}

func walletReveal(c *cli.Context) error {
	s, err := openBidSession(c, 1, "NAME")
	if err != nil {
		return err
	}
	defer s.client.Close()
	report := func(ev wallet.WatchEvent) {
		if c.Bool("json") {
			_ = json.NewEncoder(c.App.Writer).Encode(map[string]any{"height": ev.Height, "reveal": ev.Reveal, "pay": ev.Pay, "pending": ev.Pending})
			return
		}
		if ev.Reveal != nil {
			if len(ev.Reveal.TxIDs) > 0 {
				fmt.Fprintf(c.App.Writer, "revealed %d bids in %s\n", len(ev.Reveal.Revealed), joinHashes(ev.Reveal.TxIDs))
			}
			if len(ev.Reveal.Missed) > 0 {
				fmt.Fprintf(c.App.Writer, "%d bids missed their reveal phase (deposits forfeited)\n", len(ev.Reveal.Missed))
			}
		}
		if ev.Pay != nil && len(ev.Pay.TxIDs) > 0 {
			fmt.Fprintf(c.App.Writer, "paid %d won auctions (%s) in %s\n", len(ev.Pay.Paid), ledger.FormatAmount(ev.Pay.Owed), joinHashes(ev.Pay.TxIDs))
		}
	}
	if c.Bool("watch") {
		wc := watchClient(c, s)
		defer wc.Close()
		if !c.Bool("json") {
			fmt.Fprintln(c.App.Writer, "watching the auction chain; revealing and paying at every block (Ctrl-C to stop)")
		}
		err := s.b.Watch(c.Context, wc, s.key, s.fee, 500*time.Millisecond, func(ev wallet.WatchEvent) bool {
			if ev.Err != nil {
				fmt.Fprintf(c.App.ErrWriter, "height %d: %v\n", ev.Height, ev.Err)
				return false
			}
			report(ev)
			return false
		})
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	ev := wallet.WatchEvent{}
	if ev.Reveal, err = s.b.RevealDue(c.Context, s.client, s.key, s.fee); err != nil {
		return err
	}
	if ev.Pay, err = s.b.PayDue(c.Context, s.client, s.key, s.fee); err != nil {
		return err
	}
	if saved, err := s.b.Book.Load(); err == nil {
		for _, r := range saved {
			if r.Pending() {
				ev.Pending++
			}
		}
	}
	report(ev)
	if !c.Bool("json") && len(ev.Reveal.TxIDs) == 0 && len(ev.Pay.TxIDs) == 0 {
		if ev.Reveal.Waiting > 0 {
			fmt.Fprintf(c.App.Writer, "nothing due now: %d bids are still in their commit phase; run again when it ends (or use --watch)\n", ev.Reveal.Waiting)
		} else {
			fmt.Fprintln(c.App.Writer, "nothing to reveal or pay")
		}
	}
	return nil
}

func walletAuctions(c *cli.Context) error {
	w, addr, err := walletAccountArg(c)
	if err != nil {
		return err
	}
	b, err := w.bidder(addr)
	if err != nil {
		return err
	}
	client, err := dialNode(c, w)
	if err != nil {
		return err
	}
	defer client.Close()
	list, err := b.Auctions(c.Context, client, addr)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(c.App.Writer, "%s has not bid in any auction: see `thingchain wallet bid --help`\n", addr.Encode(w.net.AddressHRP))
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AUCTION\tDEVICE\tPHASE\tCLOSE\tBID/PT\tDEPOSIT\tMY BID\tWINNER\tPRICE (TOTAL)\t")
	for _, a := range list {
		winner := "-"
		switch {
		case a.Won:
			winner = "me"
		case a.Winner != "":
			winner = short(a.Winner)
		}
		price := "-"
		if a.Price > 0 {
			price = ledger.FormatAmount(a.Price)
		}
		status := a.BidStatus
		if status == "" {
			status = string(a.WalletState)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", short(a.Auction.String()), short(a.Device), a.Phase, a.CloseHeight,
			ledger.FormatAmount(a.AmountPerPoint), ledger.FormatAmount(a.Deposit), status, winner, price)
	}
	return tw.Flush()
}

func walletKeys(c *cli.Context) error {
	s, err := openBidSession(c, 1, "NAME")
	if err != nil {
		return err
	}
	defer s.client.Close()
	ks, err := s.b.Keys(c.Context, s.client, s.key)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, ks)
	}
	if len(ks) == 0 {
		fmt.Fprintln(c.App.Writer, "no access keys delivered yet: `thingchain wallet auctions` shows where your auctions stand")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tAUCTION\tEXPIRES\tVALID\tKEY\t")
	for _, k := range ks {
		key := k.KeyHex
		if k.Error != "" {
			key = "unusable: " + k.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t\n", short(k.Device), short(k.Auction.String()), k.Expires.Local().Format(time.RFC3339), k.Valid, key)
	}
	return tw.Flush()
}

func walletFetch(c *cli.Context) error {
	s, err := openBidSession(c, 2, "NAME", "DEVICE")
	if err != nil {
		return err
	}
	defer s.client.Close()
	ks, err := s.b.Keys(c.Context, s.client, s.key)
	if err != nil {
		return err
	}
	device, err := matchDevice(c.Args().Get(1), ks, c.Args().First())
	if err != nil {
		return err
	}
	var best *wallet.AccessKey
	var expired *wallet.AccessKey
	for i := range ks {
		k := &ks[i]
		if k.Device != device || k.Error != "" {
			continue
		}
		if !k.Valid {
			if expired == nil || k.Expires.After(expired.Expires) {
				expired = k
			}
			continue
		}
		if best == nil || k.Expires.After(best.Expires) {
			best = k
		}
	}
	if best == nil {
		if expired != nil {
			return fmt.Errorf("the access key for %s is not valid now (period %s to %s): win a new auction", short(device), expired.From.Local().Format(time.RFC3339), expired.Expires.Local().Format(time.RFC3339))
		}
		return fmt.Errorf("no access key delivered for device %s: see `thingchain wallet auctions %s`", short(device), c.Args().First())
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("http-timeout"))
	defer cancel()
	endpoint, data, err := wallet.FetchData(ctx, s.client, http.DefaultClient, best, c.String("property"))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"device": device, "auction": best.Auction, "endpoint": endpoint, "expires": best.Expires, "data": data})
	}
	return printJSON(c.App.Writer, data)
}

// matchDevice resolves wallet fetch's DEVICE: the device's full hex key,
// the short form the tables print (0287de71…8d70b0, also with "..."), or
// a hex prefix of at least 6 characters, matched against the devices the
// wallet holds access keys for; ambiguous or unknown ones are refused
// with what to type instead.
func matchDevice(arg string, ks []wallet.AccessKey, name string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(arg))
	if raw, err := hex.DecodeString(s); err == nil && len(raw) == keys.PubKeySize {
		return s, nil
	}
	prefix, suffix, short := strings.Cut(s, "…")
	if !short {
		prefix, suffix, short = strings.Cut(s, "...")
	}
	isHex := func(x string) bool { return strings.Trim(x, "0123456789abcdef") == "" }
	if !isHex(prefix) || !isHex(suffix) || len(prefix)+len(suffix) < 6 {
		return "", fmt.Errorf("DEVICE %q: give the device's hex public key (%d hex characters), the short form `wallet keys %s` prints, or a hex prefix of at least 6 characters", arg, 2*keys.PubKeySize, name)
	}
	var found []string
	for _, k := range ks {
		if strings.HasPrefix(k.Device, prefix) && strings.HasSuffix(k.Device, suffix) && !slices.Contains(found, k.Device) {
			found = append(found, k.Device)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("DEVICE %q: no access key of %s is for a matching device: `thingchain wallet keys %s` lists them", arg, name, name)
	}
	return "", fmt.Errorf("DEVICE %q matches %d devices (%s): give more of the key", arg, len(found), strings.Join(found, ", "))
}

// watchClient returns a WebSocket connection to the same node as the
// session's client (the ws:// form of its URL, same cookie), so Watch
// hears of every new head at once; if that fails, a second HTTP client,
// which Watch polls with.
func watchClient(c *cli.Context, s *bidSession) *rpc.Client {
	u, opts, err := apiEndpoint(c, s.w.net)
	if err != nil {
		return s.client
	}
	if ws, ok := strings.CutPrefix(u, "http"); ok {
		ctx, cancel := context.WithTimeout(c.Context, 10*time.Second)
		defer cancel()
		if client, err := rpc.Dial(ctx, "ws"+ws, opts...); err == nil {
			return client
		}
	}
	if client, err := rpc.Dial(c.Context, u, opts...); err == nil {
		return client
	}
	return s.client
}
