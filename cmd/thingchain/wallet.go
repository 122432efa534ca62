package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/wallet"
)

var (
	walletDirFlag    = &cli.StringFlag{Name: "wallet-dir", Usage: "keystore directory (default ~/.thingchain/wallets/<network>)"}
	passwordFileFlag = &cli.StringFlag{Name: "password-file", Usage: "read the password from the first line of this file (else $" + wallet.PasswordEnvVar + ", else a prompt)"}
	kdfFlag          = &cli.StringFlag{Name: "kdf", Value: "standard", Usage: "key derivation cost for new keys: standard (scrypt N=2^18) or light (N=2^12, for throwaway test keys)"}
	walletNetFlag    = &cli.StringFlag{Name: "network", Aliases: []string{"n"}, Usage: "main, test or regtest: the keystore and address prefix to use (default: the network of --datadir, else test)"}
)

// walletContext is what every wallet subcommand resolves first.
type walletContext struct {
	net   *consensus.Params
	store *wallet.Store
}

func openWallet(c *cli.Context) (*walletContext, error) {
	net, err := commandNetwork(c)
	if err != nil {
		return nil, err
	}
	dir := c.String("wallet-dir")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no home directory: pass --wallet-dir")
		}
		dir = filepath.Join(home, ".thingchain", "wallets", net.Name)
	}
	store, err := wallet.OpenStore(dir)
	if err != nil {
		return nil, err
	}
	return &walletContext{net: net, store: store}, nil
}

func passwordOptions(c *cli.Context, prompt string) wallet.PasswordOptions {
	return wallet.PasswordOptions{File: c.String("password-file"), EnvVar: wallet.PasswordEnvVar, Prompt: prompt}
}

func scryptParams(c *cli.Context) (wallet.ScryptParams, error) {
	switch c.String("kdf") {
	case "standard":
		return wallet.StandardScrypt(), nil
	case "light":
		return wallet.LightScrypt(), nil
	}
	return wallet.ScryptParams{}, fmt.Errorf("--kdf %q: use standard or light", c.String("kdf"))
}

func walletCommand() *cli.Command {
	common := []cli.Flag{walletNetFlag, walletDirFlag, jsonFlag, dataDirFlag, nodeURLFlag}
	withPassword := append([]cli.Flag{passwordFileFlag}, common...)
	return &cli.Command{
		Name:  "wallet",
		Usage: "manage keys and coins (keystore files encrypted with scrypt and AES-256-GCM)",
		Description: `Keys live in ~/.thingchain/wallets/<network> (or --wallet-dir); the password
comes from --password-file, $` + wallet.PasswordEnvVar + ` or a prompt.

Examples:
   thingchain wallet new alice --network regtest
   thingchain wallet faucet alice --amount 100 --wait --network regtest --datadir ./n1
   thingchain wallet bid alice --filter kind=thermostat --max-price-per-point 0.0005 --network regtest --datadir ./n1`,
		Subcommands: append([]*cli.Command{
			{
				Name:      "new",
				Usage:     "create a new key",
				UsageText: "thingchain wallet new NAME [--network regtest] [--password-file F]\n\nExample:\n   THINGCHAIN_PASSWORD=s3cret thingchain wallet new alice --network regtest",
				Flags:     append([]cli.Flag{kdfFlag}, withPassword...),
				Action:    walletNew,
			},
			{
				Name:      "list",
				Usage:     "list the keys in the keystore",
				UsageText: "thingchain wallet list [--network regtest] [--json]\n\nExample:\n   thingchain wallet list --network regtest --json",
				Flags:     common,
				Action:    walletList,
			},
			{
				Name:      "import",
				Usage:     "import a hex private key or a keystore file",
				UsageText: "thingchain wallet import NAME HEXKEY | thingchain wallet import --file KEYFILE\n\nExamples:\n   thingchain wallet import bob 4c0883a6... --network regtest\n   thingchain wallet import --file ./alice.json",
				Flags:     append([]cli.Flag{kdfFlag, &cli.StringFlag{Name: "file", Usage: "keystore file to copy in"}}, withPassword...),
				Action:    walletImport,
			},
			{
				Name:      "export",
				Usage:     "print a key's private key in hex (keep it secret)",
				UsageText: "thingchain wallet export NAME|ADDRESS\n\nExample:\n   thingchain wallet export alice --network regtest",
				Flags:     withPassword,
				Action:    walletExport,
			},
		}, append(walletNodeCommands(), walletAuctionCommands()...)...),
	}
}

func walletNew(c *cli.Context) error {
	if err := exactArgs(c, 1, "NAME"); err != nil {
		return err
	}
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	p, err := scryptParams(c)
	if err != nil {
		return err
	}
	pw, err := wallet.ReadNewPassword(passwordOptions(c, "Password for the new key: "))
	if err != nil {
		return err
	}
	kf, err := w.store.Create(c.Args().First(), pw, p, w.net.AddressHRP)
	if err != nil {
		return err
	}
	return printKey(c, kf.Name, kf.Address, filepath.Join(w.store.Dir(), kf.Name+".json"))
}

func printKey(c *cli.Context, name, address, path string) error {
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]string{"name": name, "address": address, "file": path})
	}
	fmt.Fprintf(c.App.Writer, "%s  %s\n  file %s\n", name, address, path)
	return nil
}

func walletList(c *cli.Context) error {
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	infos, err := w.store.List()
	if err != nil {
		return err
	}
	type row struct {
		Name    string `json:"name,omitempty"`
		Address string `json:"address,omitempty"`
		File    string `json:"file"`
		Error   string `json:"error,omitempty"`
	}
	rows := make([]row, 0, len(infos))
	for _, in := range infos {
		r := row{Name: in.Name, Address: in.Address, File: in.Path}
		if in.Err != nil {
			r.Error = in.Err.Error()
		}
		rows = append(rows, r)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(c.App.Writer, "no keys in %s: create one with `thingchain wallet new NAME`\n", w.store.Dir())
	}
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(c.App.Writer, "%-16s unreadable: %s (%s)\n", "?", r.Error, r.File)
			continue
		}
		fmt.Fprintf(c.App.Writer, "%-16s %s\n", r.Name, r.Address)
	}
	return nil
}

func walletImport(c *cli.Context) error {
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	if file := c.String("file"); file != "" {
		if c.NArg() != 0 {
			return errors.New("wallet import --file takes no other arguments")
		}
		kf, err := w.store.ImportFile(file)
		if err != nil {
			return err
		}
		return printKey(c, kf.Name, kf.Address, filepath.Join(w.store.Dir(), kf.Name+".json"))
	}
	if err := exactArgs(c, 2, "NAME", "HEXKEY"); err != nil {
		return err
	}
	p, err := scryptParams(c)
	if err != nil {
		return err
	}
	pw, err := wallet.ReadNewPassword(passwordOptions(c, "Password for the imported key: "))
	if err != nil {
		return err
	}
	kf, err := w.store.Import(c.Args().Get(0), c.Args().Get(1), pw, p, w.net.AddressHRP)
	if err != nil {
		return err
	}
	return printKey(c, kf.Name, kf.Address, filepath.Join(w.store.Dir(), kf.Name+".json"))
}

func walletExport(c *cli.Context) error {
	if err := exactArgs(c, 1, "NAME|ADDRESS"); err != nil {
		return err
	}
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	pw, err := wallet.ReadPassword(passwordOptions(c, "Password: "))
	if err != nil {
		return err
	}
	hexKey, err := w.store.Export(c.Args().First(), pw)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return json.NewEncoder(c.App.Writer).Encode(map[string]string{"private_key": hexKey})
	}
	fmt.Fprintln(c.App.Writer, hexKey)
	return nil
}
