package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
	"github.com/thingchain/thingchain/wallet"
)

// Shared plumbing of the onboarding commands (gov, oem, owner, tx): keys
// from the keystore, metadata-chain nonces, and signed transactions that
// are either submitted at once or written to a file for another machine
// (`--out`, then `thingchain tx submit FILE`).

var (
	outFlag     = &cli.StringFlag{Name: "out", Usage: "write the signed transaction to this file instead of submitting it (offline signing; submit with: thingchain tx submit FILE)"}
	nonceFlag   = &cli.Uint64Flag{Name: "nonce", Usage: "sender's metadata-chain nonce (needed with --out when no node is reachable; default: asked from the node)"}
	waitFlag    = &cli.BoolFlag{Name: "wait", Usage: "wait until the transaction is in a block"}
	timeoutFlag = &cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "how long --wait waits"}
)

// onboardFlags are the flags every signing onboarding command takes.
func onboardFlags(extra ...cli.Flag) []cli.Flag {
	return append(extra, walletNetFlag, walletDirFlag, passwordFileFlag, nodeURLFlag, dataDirFlag, outFlag, nonceFlag, waitFlag, timeoutFlag, jsonFlag)
}

// loadKey decrypts a keystore key.
func loadKey(c *cli.Context, w *walletContext, name, role string) (*keys.PrivateKey, error) {
	if name == "" {
		return nil, fmt.Errorf("the %s key is required: pass its keystore name (create one with `thingchain wallet new NAME --network %s`)", role, w.net.Name)
	}
	kf, err := w.store.Get(name)
	if err != nil {
		return nil, fmt.Errorf("%s key %q: %w", role, name, err)
	}
	pw, err := wallet.ReadPassword(passwordOptions(c, fmt.Sprintf("Password for %s (%s key): ", kf.Name, role)))
	if err != nil {
		return nil, err
	}
	return wallet.DecryptKey(kf, pw)
}

// resolvePubKey accepts a hex compressed public key or the name of a key
// in the keystore (no password needed: key files carry the public key).
func resolvePubKey(w *walletContext, s, what string) (keys.PubKey, error) {
	if raw, err := hex.DecodeString(s); err == nil && len(raw) == keys.PubKeySize {
		pk, err := keys.ParsePubKey(raw)
		if err != nil {
			return keys.PubKey{}, fmt.Errorf("%s %s: %w", what, s, err)
		}
		return pk, nil
	}
	kf, err := w.store.Get(s)
	if err != nil {
		return keys.PubKey{}, fmt.Errorf("%s %q is neither a 66-hex-digit public key nor a key in the keystore: %w", what, s, err)
	}
	raw, err := hex.DecodeString(kf.PubKey)
	if err != nil {
		return keys.PubKey{}, fmt.Errorf("key file %s has no valid public key", kf.Name)
	}
	return keys.ParsePubKey(raw)
}

// metadataNonce is --nonce when given, else the node's next nonce for
// the sender on the metadata chain (pending transactions counted).
func metadataNonce(c *cli.Context, w *walletContext, sender keys.PubKey) (uint64, error) {
	if c.IsSet("nonce") {
		return c.Uint64("nonce"), nil
	}
	client, err := dialAPI(c, w.net)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	var n uint64
	if err := client.Call(c.Context, "account.nextNonce", api.NonceParams{PubKey: sender.String(), Chain: "metadata"}, &n); err != nil {
		if c.String("out") != "" {
			return 0, fmt.Errorf("asking the node for the nonce: %w (offline: pass --nonce N)", err)
		}
		return 0, err
	}
	return n, nil
}

// metadataSigner decrypts the keystore key called name (role names whose
// key it is in prompts and errors) and finds its next metadata-chain
// nonce (metadataNonce): the two steps before every signed onboarding
// transaction.
func metadataSigner(c *cli.Context, w *walletContext, name, role string) (*keys.PrivateKey, uint64, error) {
	key, err := loadKey(c, w, name, role)
	if err != nil {
		return nil, 0, err
	}
	nonce, err := metadataNonce(c, w, key.PubKey())
	if err != nil {
		return nil, 0, err
	}
	return key, nonce, nil
}

// openWalletForDevice opens the wallet and resolves --device (a hex
// public key or a keystore name), as the commands about one device do.
func openWalletForDevice(c *cli.Context) (*walletContext, keys.PubKey, error) {
	w, err := openWallet(c)
	if err != nil {
		return nil, keys.PubKey{}, err
	}
	device, err := resolvePubKey(w, c.String("device"), "--device")
	if err != nil {
		return nil, keys.PubKey{}, err
	}
	return w, device, nil
}

// TxFile is a signed transaction written by --out: everything another
// machine needs to submit it, and a summary a person can check first.
type TxFile struct {
	Network string         `json:"network"`
	Chain   string         `json:"chain"`
	Type    string         `json:"type"`
	TxID    string         `json:"txid"`
	Sender  string         `json:"sender"`
	Nonce   uint64         `json:"nonce"`
	Summary map[string]any `json:"summary,omitempty"`
	Raw     string         `json:"raw"` // hex of the wire encoding, as tx.submit takes it
}

// readTxFile loads and checks a TxFile.
func readTxFile(path string) (*TxFile, *wire.Tx, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("transaction file: %w (the gov, oem and owner commands write one with --out)", err)
	}
	var f TxFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, nil, fmt.Errorf("%s is not a transaction file: %w", path, err)
	}
	raw, err := hex.DecodeString(f.Raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: raw is not hex: %w", path, err)
	}
	tx, err := wire.DecodeTx(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if tx.ID().String() != f.TxID {
		return nil, nil, fmt.Errorf("%s: txid %s does not match the raw transaction (%s): the file was edited", path, f.TxID, tx.ID())
	}
	return &f, tx, nil
}

// finishTx writes the transaction to --out, or submits it (and with
// --wait waits for a block), then prints the outcome.
func finishTx(c *cli.Context, w *walletContext, tx *wire.Tx, typ string, summary map[string]any) error {
	f := TxFile{Network: w.net.Name, Chain: "metadata", Type: typ, TxID: tx.ID().String(), Sender: keys.PubKey(tx.Sender).String(),
		Nonce: tx.Nonce, Summary: summary, Raw: hex.EncodeToString(tx.Encode())}
	if len(tx.Encode()) > wire.MaxTxBytes {
		return consensus.RuleErrorf(consensus.ErrTxTooLarge, "the %s transaction is %d bytes, the limit is %d", typ, len(tx.Encode()), wire.MaxTxBytes)
	}
	// The context-free rules run here first, so a bad TD or model is
	// reported before anything is written or sent.
	if err := registry.NewMachine(w.net, nil).CheckTxSanity(tx); err != nil {
		return explainRule(fmt.Errorf("%s: %w", typ, err))
	}
	if out := c.String("out"); out != "" {
		b, _ := json.MarshalIndent(f, "", "  ")
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		if c.Bool("json") {
			return printJSON(c.App.Writer, map[string]any{"file": out, "txid": f.TxID, "type": typ, "nonce": tx.Nonce, "status": "signed"})
		}
		fmt.Fprintf(c.App.Writer, "signed %s (txid %s, nonce %d) written to %s\nsubmit it from any machine with: thingchain tx submit %s --network %s\n", typ, f.TxID, tx.Nonce, out, out, w.net.Name)
		return nil
	}
	return submitTxFile(c, w.net, &f, tx)
}

// submitTxFile submits a signed transaction and reports it.
func submitTxFile(c *cli.Context, net *consensus.Params, f *TxFile, tx *wire.Tx) error {
	client, err := dialAPI(c, net)
	if err != nil {
		return err
	}
	defer client.Close()
	var res api.SubmitResult
	if err := client.Call(c.Context, "tx.submit", api.SubmitParams{Raw: f.Raw}, &res); err != nil {
		return explainRule(fmt.Errorf("%s rejected by the node: %w", f.Type, err))
	}
	out := map[string]any{"txid": res.ID.String(), "type": f.Type, "chain": res.Chain, "nonce": tx.Nonce, "status": "pending"}
	for k, v := range f.Summary {
		out[k] = v
	}
	if c.Bool("wait") {
		ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
		defer cancel()
		if !c.Bool("json") {
			fmt.Fprintf(c.App.ErrWriter, "submitted %s %s; waiting for a block...\n", f.Type, res.ID)
		}
		tr, err := waitChainTx(ctx, client, res.Chain, res.ID.String())
		if err != nil {
			return err
		}
		out["status"], out["height"] = tr.Status, tr.Height
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, out)
	}
	if h, ok := out["height"]; ok {
		fmt.Fprintf(c.App.Writer, "%s %s confirmed at %s height %v\n", f.Type, res.ID, res.Chain, h)
	} else {
		fmt.Fprintf(c.App.Writer, "%s %s submitted (pending; add --wait to wait for a block)\n", f.Type, res.ID)
	}
	return nil
}

// waitChainTx polls until a transaction is in a block of chain.
func waitChainTx(ctx context.Context, client *rpc.Client, chain, txid string) (api.TxResult, error) {
	t := time.NewTicker(300 * time.Millisecond)
	defer t.Stop()
	for {
		var tr api.TxResult
		err := client.Call(ctx, "chain.getTransaction", map[string]string{"chain": chain, "txid": txid}, &tr)
		if err == nil && tr.Status == "confirmed" {
			return tr, nil
		}
		select {
		case <-ctx.Done():
			return tr, fmt.Errorf("transaction %s not in a block in time: it may still be mined (a node with --mine, or `thingchain chain generate` on regtest); check with `thingchain tx status`", txid)
		case <-t.C:
		}
	}
}

// readJSONFile reads a file that must hold one JSON document.
func readJSONFile(path, what string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("--%s FILE is required", what)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", what, err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--%s %s is not valid JSON", what, path)
	}
	return b, nil
}

// explainRule adds a hint for the registry rule kinds makers meet most.
// Errors from the node carry the kind in their text, local ones as a
// wrapped kind; both are matched.
func explainRule(err error) error {
	is := func(kinds ...consensus.ErrorKind) bool {
		for _, k := range kinds {
			if errors.Is(err, k) || strings.Contains(err.Error(), string(k)) {
				return true
			}
		}
		return false
	}
	var hint string
	switch {
	case is(registry.ErrBadDeviceID):
		hint = "set the TD's \"id\" to the URN `thingchain oem device-id KEY` prints"
	case is(registry.ErrTDMissingAffordance, registry.ErrTDSchemaMismatch, registry.ErrTDPlaceholder):
		hint = "the TD must be an instance of the model's Thing Model: see docs/device-api.md \"Thing Models\""
	case is(registry.ErrEndpointNotAllowed, registry.ErrPersonalIP):
		hint = "publish a host name or relay URL in base/href (loopback only on test networks)"
	case is(registry.ErrNotOEM):
		hint = "the OEM key must be admitted first: `thingchain gov propose --action admit-oem`"
	}
	if hint == "" {
		return err
	}
	return fmt.Errorf("%w\nhint: %s", err, hint)
}
