package main

import (
	"context"
	"errors"
	"fmt"
	apiclient "github.com/thingchain/thingchain/api/client"
	"github.com/thingchain/thingchain/chain/wire"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/node"
	"github.com/thingchain/thingchain/wallet"
)

var nodeURLFlag = &cli.StringFlag{Name: "node", Usage: "API URL of a running node (default: from --datadir's node.json, else 127.0.0.1 and the network's API port)"}

// dialNode connects to the node a wallet command talks to.
func dialNode(c *cli.Context, w *walletContext) (*rpc.Client, error) { return dialAPI(c, w.net) }

// dialAPI connects to --node, else the node running on --datadir, else
// the network's default API port on 127.0.0.1, with the data
// directory's cookie when there is one.
func dialAPI(c *cli.Context, net *consensus.Params) (*rpc.Client, error) {
	url, opts, err := apiEndpoint(c, net)
	if err != nil {
		return nil, err
	}
	return rpc.Dial(c.Context, url, opts...)
}

// dialCommandAPI resolves the command's network (commandNetwork) and
// connects to its node (dialAPI): the two steps of every read-only command
// that asks a node and holds no wallet.
func dialCommandAPI(c *cli.Context) (*consensus.Params, *rpc.Client, error) {
	net, err := commandNetwork(c)
	if err != nil {
		return nil, nil, err
	}
	client, err := dialAPI(c, net)
	if err != nil {
		return nil, nil, err
	}
	return net, client, nil
}

// apiEndpoint resolves the API URL and credentials dialAPI uses.
func apiEndpoint(c *cli.Context, net *consensus.Params) (string, []rpc.ClientOption, error) {
	url := c.String("node")
	if url == "" && c.String("datadir") != "" {
		info, err := node.RunningInfo(c.String("datadir"))
		if err != nil {
			return "", nil, err // says what to do: start the node, delete a stale node.json, or --node
		}
		url = info.RPC
	}
	if url == "" {
		url = fmt.Sprintf("http://127.0.0.1:%d", net.DefaultRPCPort)
	}
	var opts []rpc.ClientOption
	if d := c.String("datadir"); d != "" {
		if tok, err := rpc.ReadCookie(filepath.Join(d, ".cookie")); err == nil {
			opts = append(opts, rpc.WithToken(tok))
		}
	}
	return url, opts, nil
}

// offlineOK reports whether a command that can read a stopped node's
// data directory should, after dialling failed with err: no node runs on
// --datadir (no node.json, or a stale one) and no --node was given.
func offlineOK(c *cli.Context, err error) bool {
	return c.String("node") == "" && c.String("datadir") != "" &&
		(errors.Is(err, node.ErrNotRunning) || errors.Is(err, node.ErrStaleInfo))
}

// offlineAccount reads an account from the auction chain of the stopped
// node on --datadir (a running node holds the directory's lock: then the
// error says to stop it or use the API).
func offlineAccount(c *cli.Context, addr keys.Address) (apitypes.Account, error) {
	net, cs, err := openForTool(c, false)
	if err != nil {
		return apitypes.Account{}, err
	}
	defer cs.Close()
	auc := cs.Auction
	var acct ledger.Account
	if err := auc.ReadState(func(v *chain.View, _ chain.TipInfo) error {
		acct, err = ledger.GetAccount(v, addr)
		return err
	}); err != nil {
		return apitypes.Account{}, err
	}
	fmt.Fprintf(c.App.ErrWriter, "no node running on %s: balance read from its data directory at auction height %d (pending transactions not counted)\n", c.String("datadir"), auc.Tip().Height)
	return apitypes.Account{Address: addr.Encode(net.AddressHRP), Balance: acct.Balance, Nonce: acct.Nonce, PendingNonce: acct.Nonce}, nil
}

// resolveAddress accepts a bech32 address or the name of a key in the
// keystore.
func resolveAddress(w *walletContext, s string) (keys.Address, error) {
	a, err := keys.DecodeAddress(s, w.net.AddressHRP)
	if err == nil {
		return a, nil
	}
	if errors.Is(err, keys.ErrAddressPrefix) || errors.Is(err, keys.ErrAddressChecksum) {
		return a, err // it is an address, just not a usable one: say why
	}
	decodeErr := err
	kf, err := w.store.Get(s)
	if err != nil && strings.HasPrefix(strings.ToLower(s), w.net.AddressHRP+"1") {
		return keys.Address{}, fmt.Errorf("%q looks like a %s address but is not one (%v): copy it again, e.g. from `thingchain wallet list`", s, w.net.Name, decodeErr)
	}
	if err != nil {
		return keys.Address{}, fmt.Errorf("%q is neither an address of network %q nor a key in the keystore: %w", s, w.net.Name, err)
	}
	return keys.DecodeAddress(kf.Address, w.net.AddressHRP)
}

func walletNodeCommands() []*cli.Command {
	flags := []cli.Flag{walletNetFlag, walletDirFlag, nodeURLFlag, dataDirFlag, jsonFlag}
	return []*cli.Command{
		{
			Name:      "balance",
			Usage:     "show an account's balance and nonce",
			UsageText: "thingchain wallet balance NAME|ADDRESS [--node URL]\n\nExample:\n   thingchain wallet balance alice --network regtest --datadir ./n1",
			Flags:     flags,
			Action:    walletBalance,
		},
		{
			Name:      "send",
			Usage:     "send coins: signs a transfer and submits it to the node",
			UsageText: "thingchain wallet send FROM TO AMOUNT [--fee F] [--wait]\n\nAMOUNT is in THG (12.5) or base units (1250000000u).\n\nExample:\n   thingchain wallet send alice tcr1... 2.5 --network regtest --datadir ./n1",
			Flags: append([]cli.Flag{passwordFileFlag,
				&cli.StringFlag{Name: "fee", Value: "0.0001", Usage: "fee, " + amountUsage},
				&cli.BoolFlag{Name: "wait", Usage: "wait until the transaction is in a block"},
				&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "how long --wait waits"},
			}, flags...),
			Action: walletSend,
		},
		{
			Name:      "history",
			Usage:     "recent transactions sent by or paying an account",
			UsageText: "thingchain wallet history NAME|ADDRESS [--blocks N]\n\nExample:\n   thingchain wallet history alice --network regtest --datadir ./n1 --json",
			Flags:     append([]cli.Flag{&cli.IntFlag{Name: "blocks", Value: 1000, Usage: "how many recent blocks to scan"}}, flags...),
			Action:    walletHistory,
		},
		{
			Name:      "faucet",
			Usage:     "ask a test network's faucet for coins",
			UsageText: "thingchain wallet faucet NAME|ADDRESS [--amount A] [--wait]\n\nWith --wait it returns once the coins are in a block, so the next command can spend them.\n\nExample:\n   thingchain wallet faucet alice --amount 100 --wait --network regtest --datadir ./n1",
			Flags: append([]cli.Flag{&cli.StringFlag{Name: "amount", Value: "100", Usage: "how much, " + amountUsage},
				&cli.BoolFlag{Name: "wait", Usage: "wait until the faucet's transaction is in a block"},
				&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "how long --wait waits"},
			}, flags...),
			Action: walletFaucet,
		},
	}
}

// walletAccountArg resolves the single NAME|ADDRESS argument of a wallet
// command.
func walletAccountArg(c *cli.Context) (*walletContext, keys.Address, error) {
	if err := exactArgs(c, 1, "NAME|ADDRESS"); err != nil {
		return nil, keys.Address{}, err
	}
	w, err := openWallet(c)
	if err != nil {
		return nil, keys.Address{}, err
	}
	addr, err := resolveAddress(w, c.Args().First())
	return w, addr, err
}

func walletBalance(c *cli.Context) error {
	w, addr, err := walletAccountArg(c)
	if err != nil {
		return err
	}
	var acct apitypes.Account
	client, err := dialNode(c, w)
	if err != nil {
		if !offlineOK(c, err) {
			return err
		}
		// No node runs on --datadir: read the stopped node's state.
		if acct, err = offlineAccount(c, addr); err != nil {
			return err
		}
	} else if err := client.Call(c.Context, "account.get", apitypes.AddressParams{Address: addr.Encode(w.net.AddressHRP)}, &acct); err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, acct)
	}
	fmt.Fprintf(c.App.Writer, "%s  %s  (nonce %d)\n", acct.Address, ledger.FormatAmount(acct.Balance), acct.Nonce)
	return nil
}

func walletSend(c *cli.Context) error {
	if err := exactArgs(c, 3, "FROM", "TO", "AMOUNT"); err != nil {
		return err
	}
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	to, err := resolveAddress(w, c.Args().Get(1))
	if err != nil {
		return err
	}
	amount, err := amountArg(c.Args().Get(2), "AMOUNT")
	if err != nil {
		return err
	}
	fee, err := amountFlag(c, "fee")
	if err != nil {
		return err
	}
	kf, err := w.store.Get(c.Args().Get(0))
	if err != nil {
		return err
	}
	pw, err := wallet.ReadPassword(passwordOptions(c, fmt.Sprintf("Password for %s: ", kf.Name)))
	if err != nil {
		return err
	}
	key, err := wallet.DecryptKey(kf, pw)
	if err != nil {
		return err
	}
	client, err := dialNode(c, w)
	if err != nil {
		return err
	}
	nonce, err := apiclient.New(client).NextNonce(c.Context, key.PubKey(), "auction")
	if err != nil {
		return err
	}
	tx := ledger.NewTransfer(w.net, key, to, amount, fee, nonce)
	res, err := apiclient.New(client).Submit(c.Context, tx)
	if err != nil {
		return err
	}
	out := map[string]any{"txid": res.ID, "from": kf.Address, "to": to.Encode(w.net.AddressHRP), "amount": amount, "fee": fee, "nonce": nonce, "status": "pending"}
	if c.Bool("wait") {
		ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
		defer cancel()
		tr, err := waitConfirmed(ctx, client, res.ID)
		if err != nil {
			return err
		}
		out["status"], out["height"] = tr.Status, tr.Height
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, out)
	}
	fmt.Fprintf(c.App.Writer, "sent %s to %s (fee %s), txid %s, %s\n", ledger.FormatAmount(amount), out["to"], ledger.FormatAmount(fee), res.ID, out["status"])
	return nil
}

// waitConfirmed polls until a transaction is in a block. (A newHeads
// subscription would save the polling; the wallet keeps to plain HTTP so it
// works through any proxy.)
func waitConfirmed(ctx context.Context, client *rpc.Client, txid wire.Hash) (apitypes.TxResult, error) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		tr, err := apiclient.New(client).Transaction(ctx, "auction", txid)
		if err == nil && tr.Status == "confirmed" {
			return tr, nil
		}
		select {
		case <-ctx.Done():
			return tr, fmt.Errorf("transaction %s not confirmed in time: it may still be mined; check with chain.getTransaction", txid)
		case <-t.C:
		}
	}
}

func walletHistory(c *cli.Context) error {
	w, addr, err := walletAccountArg(c)
	if err != nil {
		return err
	}
	client, err := dialNode(c, w)
	if err != nil {
		return err
	}
	hist, err := apiclient.New(client).History(c.Context, apitypes.HistoryParams{Address: addr.Encode(w.net.AddressHRP), Blocks: c.Int("blocks")})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, hist)
	}
	if len(hist) == 0 {
		fmt.Fprintln(c.App.Writer, "no transactions in the scanned blocks (--blocks scans further back)")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HEIGHT\tIN/OUT\tAMOUNT\tFEE\tTYPE\tTXID")
	for _, h := range hist {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", h.Height, h.Direction, ledger.FormatAmount(h.Amount), ledger.FormatAmount(h.Fee), h.Type, h.ID)
	}
	fmt.Fprintln(tw, "(TYPE: 1 transfer, 10 open auction, 11/15 sealed bids (bond-only/full deposit), 12 reveal, 13 payment, 14 key delivery: docs/auction.md §4)")
	return tw.Flush()
}

func walletFaucet(c *cli.Context) error {
	w, addr, err := walletAccountArg(c)
	if err != nil {
		return err
	}
	amount, err := amountFlag(c, "amount")
	if err != nil {
		return err
	}
	client, err := dialNode(c, w)
	if err != nil {
		return err
	}
	res, err := apiclient.New(client).Faucet(c.Context, addr.Encode(w.net.AddressHRP), amount)
	if err != nil {
		return err
	}
	out := map[string]any{"txid": res.ID, "address": addr.Encode(w.net.AddressHRP), "amount": amount, "status": "pending"}
	if c.Bool("wait") {
		if !c.Bool("json") {
			hint := ""
			if w.net.MineOnDemand {
				hint = " (regtest mines only with `node --mine` or `chain generate`)"
			}
			fmt.Fprintf(c.App.ErrWriter, "waiting for the faucet's transaction %s to be mined%s…\n", res.ID, hint)
		}
		ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
		defer cancel()
		tr, err := waitConfirmed(ctx, client, res.ID)
		if err != nil {
			return err
		}
		out["status"], out["height"] = tr.Status, tr.Height
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, out)
	}
	if c.Bool("wait") {
		fmt.Fprintf(c.App.Writer, "faucet sent %s to %s, txid %s, confirmed at height %d: spendable now\n", ledger.FormatAmount(amount), out["address"], res.ID, out["height"])
		return nil
	}
	fmt.Fprintf(c.App.Writer, "faucet sent %s to %s, txid %s (pending: spendable once mined; --wait waits for that)\n", ledger.FormatAmount(amount), out["address"], res.ID)
	return nil
}
