package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/registry"
)

func oemCommand() *cli.Command {
	return &cli.Command{
		Name:  "oem",
		Usage: "device makers: publish models (W3C Thing Models) and attest devices",
		Description: `An admitted OEM (see thingchain gov) publishes each device model as a W3C
WoT Thing Model and attests every device key it manufactures. Attestations
can be signed offline (--out FILE --nonce N) and submitted from another
machine with thingchain tx submit FILE.

Example:
   thingchain oem publish-model --key acme-oem --tm fridge.tm.json --id acme-fridge-x1 --kind fridge --wait --network regtest --datadir ./n1
   thingchain oem attest --key acme-oem --device fridge-0001 --model acme-fridge-x1 --nonce 1 --out attest.json --network regtest`,
		Subcommands: []*cli.Command{
			{
				Name:  "device-id",
				Usage: "print a device key's public key and the URN its Thing Description's \"id\" must be",
				UsageText: `thingchain oem device-id KEY [--json]

KEY is a keystore name or a hex public key.

Example:
   thingchain oem device-id fridge-0001 --network regtest`,
				Flags:  []cli.Flag{walletNetFlag, walletDirFlag, passwordFileFlag, jsonFlag},
				Action: oemDeviceID,
			},
			{
				Name:  "publish-model",
				Usage: "publish a device model (or a new version of one) from a Thing Model file",
				UsageText: `thingchain oem publish-model --key OEM --tm FILE --id MODEL --kind KIND [--version N] [--title T] [--metadata-schema FILE]

FILE is a W3C WoT Thing Model (TD 1.1 §10: "@type": "tm:ThingModel"),
self-contained (no tm:ref, no tm:extends). Every device's Thing Description
must instantiate it. A new --version of an existing model must be higher;
devices checked in under an older version stay valid.
The metadata schema file is a JSON array of {"name", "type", "required"}
(type: string, number, integer or boolean).

Example:
   thingchain oem publish-model --key acme-oem --tm fridge.tm.json --id acme-fridge-x1 --kind fridge --metadata-schema fridge.schema.json --wait --network regtest --datadir ./n1`,
				Flags: onboardFlags(
					&cli.StringFlag{Name: "key", Usage: "keystore name of the OEM's attestation key", Required: true},
					&cli.StringFlag{Name: "tm", Usage: "Thing Model file (JSON)", Required: true},
					&cli.StringFlag{Name: "id", Usage: "model ID: lower-case letters, digits, . _ - (at most 64)", Required: true},
					&cli.StringFlag{Name: "kind", Usage: "device kind, e.g. fridge, tv, thermostat, energy-meter, car", Required: true},
					&cli.UintFlag{Name: "version", Value: 1, Usage: "model version (≥ 1; each new version higher than the last)"},
					&cli.StringFlag{Name: "title", Usage: "model title (default: the Thing Model's title)"},
					&cli.StringFlag{Name: "metadata-schema", Usage: "JSON file: the metadata fields check-ins carry (default: none)"},
				),
				Action: oemPublishModel,
			},
			{
				Name:  "attest",
				Usage: "attest a device key the OEM manufactured (signable offline)",
				UsageText: `thingchain oem attest --key OEM --device KEY --model MODEL [--out FILE --nonce N]

Example (sign on the factory machine, submit elsewhere):
   thingchain oem attest --key acme-oem --device 02ab...ef --model acme-fridge-x1 --nonce 7 --out attest-0001.json --network test
   thingchain tx submit attest-0001.json --wait --network test`,
				Flags: onboardFlags(
					&cli.StringFlag{Name: "key", Usage: "keystore name of the OEM's attestation key", Required: true},
					&cli.StringFlag{Name: "device", Usage: "the device's public key (hex) or keystore name", Required: true},
					&cli.StringFlag{Name: "model", Usage: "the published model ID", Required: true},
				),
				Action: oemAttest,
			},
			{
				Name:      "model",
				Usage:     "show a published model (its latest version and Thing Model)",
				UsageText: "thingchain oem model ID [--version N] [--json]\n\nExample:\n   thingchain oem model acme-fridge-x1 --network regtest --datadir ./n1 --json",
				Flags:     []cli.Flag{&cli.UintFlag{Name: "version", Usage: "a published version (default: the latest)"}, walletNetFlag, nodeURLFlag, dataDirFlag, jsonFlag},
				Action:    oemModel,
			},
		},
	}
}

func oemDeviceID(c *cli.Context) error {
	if err := exactArgs(c, 1, "KEY"); err != nil {
		return err
	}
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	pk, err := resolvePubKey(w, c.Args().First(), "device")
	if err != nil {
		return err
	}
	out := map[string]string{"pubkey": pk.String(), "urn": registry.DeviceURN(pk), "address": pk.Address().Encode(w.net.AddressHRP)}
	if c.Bool("json") {
		return printJSON(c.App.Writer, out)
	}
	fmt.Fprintf(c.App.Writer, "public key  %s\nTD \"id\"     %s\n", out["pubkey"], out["urn"])
	return nil
}

func oemPublishModel(c *cli.Context) error {
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	tm, err := readJSONFile(c.String("tm"), "tm")
	if err != nil {
		return err
	}
	if _, err := registry.CheckThingModel(tm); err != nil {
		return fmt.Errorf("--tm %s: %w", c.String("tm"), err)
	}
	title := c.String("title")
	if title == "" {
		var doc struct {
			Title string `json:"title"`
		}
		_ = json.Unmarshal(tm, &doc)
		title = doc.Title
	}
	if title == "" {
		title = c.String("id")
	}
	var schema []registry.Field
	if p := c.String("metadata-schema"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("--metadata-schema: %w", err)
		}
		if err := json.Unmarshal(b, &schema); err != nil {
			return fmt.Errorf("--metadata-schema %s: want a JSON array of {\"name\",\"type\",\"required\"}: %w", p, err)
		}
	}
	if c.Uint("version") == 0 || c.Uint("version") > 1<<32-1 {
		return fmt.Errorf("--version must be between 1 and %d", uint32(1<<32-1))
	}
	key, nonce, err := metadataSigner(c, w, c.String("key"), "OEM")
	if err != nil {
		return err
	}
	m := registry.PublishModel{ModelID: c.String("id"), Kind: c.String("kind"), Title: title, Version: uint32(c.Uint("version")),
		MetadataSchema: schema, ThingModel: tm}
	tx := registry.NewPublishModelTx(w.net.Metadata.ChainID, key, nonce, m)
	return finishTx(c, w, tx, "publish-model", map[string]any{"model": m.ModelID, "version": m.Version, "kind": m.Kind, "oem": key.PubKey().String()})
}

func oemAttest(c *cli.Context) error {
	w, device, err := openWalletForDevice(c)
	if err != nil {
		return err
	}
	key, nonce, err := metadataSigner(c, w, c.String("key"), "OEM")
	if err != nil {
		return err
	}
	tx := registry.NewAttestTx(w.net.Metadata.ChainID, key, nonce, device, c.String("model"))
	return finishTx(c, w, tx, "attest-device", map[string]any{"device": device.String(), "model": c.String("model"), "oem": key.PubKey().String()})
}

func oemModel(c *cli.Context) error {
	if err := exactArgs(c, 1, "ID"); err != nil {
		return err
	}
	net, client, err := dialCommandAPI(c)
	if err != nil {
		return err
	}
	defer client.Close()
	var m *registry.Model
	if err := client.Call(c.Context, "registry.model", api.ModelParams{ID: c.Args().First(), Version: uint32(c.Uint("version"))}, &m); err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("model %q is not published on %s", c.Args().First(), net.Name)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, m)
	}
	fmt.Fprintf(c.App.Writer, "%s v%d  %s  kind %s  OEM %s  published at height %d\n", m.ID, m.Version, m.Title, m.Kind, m.OEM, m.Height)
	for _, f := range m.MetadataSchema {
		fmt.Fprintf(c.App.Writer, "  metadata %-20s %-8s required=%v\n", f.Name, f.Type, f.Required)
	}
	return nil
}
