package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/ledger"
	"github.com/thingchain/thingchain/registry"
)

// The owner's consent. A device joins the market only when its owner
// signs the enable (the check-in carries that signature); the owner alone
// disables it or changes its terms. When the device and the owner are on
// different machines, the owner signs a consent file (owner enable) that
// the device submits (owner checkin --consent).

func termsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "reserve", Value: "0.0001", Usage: "reserve price per data point, in THG or base units (10000u)"},
		&cli.Uint64Flag{Name: "points", Value: 8640, Usage: "data points sold per access period"},
		&cli.DurationFlag{Name: "period", Value: 30 * 24 * time.Hour, Usage: "access period (e.g. 720h for 30 days)"},
	}
}

func termsFromFlags(c *cli.Context) (registry.Terms, error) {
	reserve, err := ledger.ParseAmount(c.String("reserve"))
	if err != nil {
		return registry.Terms{}, fmt.Errorf("--reserve: %w", err)
	}
	if c.Duration("period") < time.Second {
		return registry.Terms{}, fmt.Errorf("--period %s: at least one second", c.Duration("period"))
	}
	t := registry.Terms{ReservePerPoint: reserve, PointsPerPeriod: c.Uint64("points"), AccessPeriodSeconds: uint64(c.Duration("period") / time.Second)}
	if err := t.Check(); err != nil {
		return t, err
	}
	return t, nil
}

// checkInFlags describe what the device proposes to its owner.
func checkInFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "td", Usage: "the device's W3C WoT Thing Description (JSON file)"},
		&cli.StringFlag{Name: "metadata", Usage: "metadata object matching the model's schema (JSON file; default {})"},
		&cli.StringFlag{Name: "region", Usage: "coarse region: a country code, optionally with a 1–3 character subdivision (DE, US-CA)"},
	}, termsFlags()...)
}

func checkInRequest(c *cli.Context) (registry.CheckInRequest, error) {
	td, err := readJSONFile(c.String("td"), "td")
	if err != nil {
		return registry.CheckInRequest{}, err
	}
	md := []byte("{}")
	if p := c.String("metadata"); p != "" {
		if md, err = readJSONFile(p, "metadata"); err != nil {
			return registry.CheckInRequest{}, err
		}
	}
	if c.String("region") == "" {
		return registry.CheckInRequest{}, fmt.Errorf("--region is required (a country code such as DE or US-CA; never a street or city)")
	}
	terms, err := termsFromFlags(c)
	if err != nil {
		return registry.CheckInRequest{}, err
	}
	return registry.CheckInRequest{Region: c.String("region"), Terms: terms, ThingDescription: td, Metadata: md}, nil
}

// ConsentFile is the owner's signed enable of one check-in: the exact TD
// and metadata bytes, region, terms and device nonce it covers.
type ConsentFile struct {
	Network     string         `json:"network"`
	Device      string         `json:"device"`
	Owner       string         `json:"owner"`
	DeviceNonce uint64         `json:"device_nonce"`
	Region      string         `json:"region"`
	Terms       registry.Terms `json:"terms"`
	TD          string         `json:"td"`       // exact bytes, as a string
	Metadata    string         `json:"metadata"` // exact bytes, as a string
	OwnerSig    string         `json:"owner_sig"`
}

func ownerCommand() *cli.Command {
	keyFlag := func(name, usage string) cli.Flag { return &cli.StringFlag{Name: name, Usage: usage} }
	return &cli.Command{
		Name:  "owner",
		Usage: "device owners: consent to a device's check-in, disable it, change its terms",
		Description: `A device is auctioned only after its owner signs its check-in. If the
device key and the owner key are on one machine, owner checkin does both;
otherwise the owner signs a consent file (owner enable) and the device
submits it (owner checkin --consent FILE).

Example:
   thingchain owner checkin --device-key fridge-0001 --owner-key alice --td fridge.td.json --metadata fridge.md.json --region DE --wait --network regtest --datadir ./n1`,
		Subcommands: []*cli.Command{
			{
				Name:  "checkin",
				Usage: "check a device in with its Thing Description and its owner's consent",
				UsageText: `thingchain owner checkin --device-key DEVICE (--owner-key OWNER | --consent FILE) --td TD.json [--metadata MD.json] --region R [--reserve A] [--points N] [--period D]

The TD must be an instance of the device model's Thing Model, carry the
device's URN as "id" (thingchain oem device-id) and hold no personal data.

Example:
   thingchain owner checkin --device-key fridge-0001 --owner-key alice --td fridge.td.json --region DE --wait --network regtest --datadir ./n1`,
				Flags: onboardFlags(append([]cli.Flag{
					keyFlag("device-key", "keystore name of the device key (the check-in's sender)"),
					keyFlag("owner-key", "keystore name of the owner key (signs the consent here)"),
					&cli.StringFlag{Name: "consent", Usage: "the owner's consent file written by owner enable (instead of --owner-key)"},
				}, checkInFlags()...)...),
				Action: ownerCheckIn,
			},
			{
				Name:  "enable",
				Usage: "sign consent to a device's check-in, as a file the device submits",
				UsageText: `thingchain owner enable --owner-key OWNER --device KEY --td TD.json [--metadata MD.json] --region R [terms] [--device-nonce N] --consent-out FILE

Example:
   thingchain owner enable --owner-key alice --device 02ab...ef --td fridge.td.json --region DE --consent-out consent.json --network test`,
				Flags: append(append([]cli.Flag{
					keyFlag("owner-key", "keystore name of the owner key"),
					&cli.StringFlag{Name: "device", Usage: "the device's public key (hex) or keystore name", Required: true},
					&cli.Uint64Flag{Name: "device-nonce", Usage: "the device's next metadata-chain nonce (default: asked from the node)"},
					&cli.StringFlag{Name: "consent-out", Usage: "consent file to write", Required: true},
				}, checkInFlags()...), walletNetFlag, walletDirFlag, passwordFileFlag, nodeURLFlag, dataDirFlag, jsonFlag),
				Action: ownerEnable,
			},
			{
				Name:      "disable",
				Usage:     "take a device off the market (the owner signs)",
				UsageText: "thingchain owner disable --owner-key OWNER --device KEY [--wait]\n\nExample:\n   thingchain owner disable --owner-key alice --device fridge-0001 --wait --network regtest --datadir ./n1",
				Flags: onboardFlags(keyFlag("owner-key", "keystore name of the owner key"),
					&cli.StringFlag{Name: "device", Usage: "the device's public key (hex) or keystore name", Required: true}),
				Action: ownerDisable,
			},
			{
				Name:      "terms",
				Usage:     "change a device's auction terms (the owner signs)",
				UsageText: "thingchain owner terms --owner-key OWNER --device KEY [--reserve A] [--points N] [--period D] [--wait]\n\nExample:\n   thingchain owner terms --owner-key alice --device fridge-0001 --reserve 0.0002 --points 4320 --period 720h --network regtest --datadir ./n1",
				Flags: onboardFlags(append([]cli.Flag{keyFlag("owner-key", "keystore name of the owner key"),
					&cli.StringFlag{Name: "device", Usage: "the device's public key (hex) or keystore name", Required: true}}, termsFlags()...)...),
				Action: ownerTerms,
			},
		},
	}
}

func ownerCheckIn(c *cli.Context) error {
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	device, nonce, err := metadataSigner(c, w, c.String("device-key"), "device")
	if err != nil {
		return err
	}
	var (
		req      registry.CheckInRequest
		owner    keys.PubKey
		ownerSig keys.Signature
	)
	switch {
	case c.String("consent") != "" && c.String("owner-key") != "":
		return fmt.Errorf("pass --owner-key or --consent, not both")
	case c.String("consent") != "":
		b, err := os.ReadFile(c.String("consent"))
		if err != nil {
			return fmt.Errorf("--consent: %w (the owner writes it with `thingchain owner enable --consent-out FILE`)", err)
		}
		var cf ConsentFile
		if err := json.Unmarshal(b, &cf); err != nil {
			return fmt.Errorf("--consent %s: %w", c.String("consent"), err)
		}
		if cf.Network != w.net.Name || cf.Device != device.PubKey().String() {
			return fmt.Errorf("--consent is for device %s on %s, not %s on %s", cf.Device, cf.Network, device.PubKey(), w.net.Name)
		}
		if cf.DeviceNonce != nonce {
			return fmt.Errorf("the consent covers device nonce %d, the device's next nonce is %d: ask the owner to sign again (owner enable --device-nonce %d)", cf.DeviceNonce, nonce, nonce)
		}
		raw, err := hex.DecodeString(cf.Owner)
		if err != nil {
			return fmt.Errorf("--consent: owner key: %w", err)
		}
		if owner, err = keys.ParsePubKey(raw); err != nil {
			return fmt.Errorf("--consent: owner key: %w", err)
		}
		sig, err := hex.DecodeString(cf.OwnerSig)
		if err != nil || len(sig) != keys.SignatureSize {
			return fmt.Errorf("--consent: owner_sig is not %d bytes of hex", keys.SignatureSize)
		}
		ownerSig = keys.Signature(sig)
		req = registry.CheckInRequest{Region: cf.Region, Terms: cf.Terms, ThingDescription: []byte(cf.TD), Metadata: []byte(cf.Metadata)}
	default:
		if req, err = checkInRequest(c); err != nil {
			return err
		}
		ownerKey, err := loadKey(c, w, c.String("owner-key"), "owner")
		if err != nil {
			return err
		}
		owner = ownerKey.PubKey()
		ownerSig = registry.SignEnable(w.net.Metadata.ChainID, ownerKey, device.PubKey(), nonce, req)
	}
	tx := registry.NewCheckInTx(w.net.Metadata.ChainID, device, nonce, owner, ownerSig, req)
	return finishTx(c, w, tx, "check-in", map[string]any{"device": device.PubKey().String(), "owner": owner.Address().Encode(w.net.AddressHRP),
		"region": req.Region, "terms": req.Terms})
}

func ownerEnable(c *cli.Context) error {
	w, device, err := openWalletForDevice(c)
	if err != nil {
		return err
	}
	req, err := checkInRequest(c)
	if err != nil {
		return err
	}
	// What the chain would refuse without the owner is refused here, so
	// the owner never signs a check-in that cannot land.
	policy := registry.PolicyForChain(w.net.Metadata.ChainID)
	if _, err := registry.CheckThingDescription(req.ThingDescription, device, policy); err != nil {
		return explainRule(fmt.Errorf("--td: %w", err))
	}
	if _, err := registry.CheckMetadataObject(req.Metadata, policy); err != nil {
		return fmt.Errorf("--metadata: %w", err)
	}
	var nonce uint64
	if c.IsSet("device-nonce") {
		nonce = c.Uint64("device-nonce")
	} else {
		if nonce, err = metadataNonce(c, w, device); err != nil {
			return fmt.Errorf("%w (offline: pass --device-nonce N)", err)
		}
	}
	owner, err := loadKey(c, w, c.String("owner-key"), "owner")
	if err != nil {
		return err
	}
	sig := registry.SignEnable(w.net.Metadata.ChainID, owner, device, nonce, req)
	cf := ConsentFile{Network: w.net.Name, Device: device.String(), Owner: owner.PubKey().String(), DeviceNonce: nonce, Region: req.Region,
		Terms: req.Terms, TD: string(req.ThingDescription), Metadata: string(req.Metadata), OwnerSig: sig.String()}
	b, _ := json.MarshalIndent(cf, "", "  ")
	if err := os.WriteFile(c.String("consent-out"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"file": c.String("consent-out"), "device": cf.Device, "device_nonce": nonce, "owner": cf.Owner})
	}
	fmt.Fprintf(c.App.Writer, "consent to check in device %s (nonce %d) written to %s\nthe device submits it with: thingchain owner checkin --device-key KEY --consent %s --network %s\n",
		device, nonce, c.String("consent-out"), c.String("consent-out"), w.net.Name)
	return nil
}

func ownerDisable(c *cli.Context) error {
	w, device, err := openWalletForDevice(c)
	if err != nil {
		return err
	}
	owner, nonce, err := metadataSigner(c, w, c.String("owner-key"), "owner")
	if err != nil {
		return err
	}
	tx := registry.NewDisableTx(w.net.Metadata.ChainID, owner, nonce, device)
	return finishTx(c, w, tx, "disable", map[string]any{"device": device.String()})
}

func ownerTerms(c *cli.Context) error {
	w, device, err := openWalletForDevice(c)
	if err != nil {
		return err
	}
	terms, err := termsFromFlags(c)
	if err != nil {
		return err
	}
	owner, nonce, err := metadataSigner(c, w, c.String("owner-key"), "owner")
	if err != nil {
		return err
	}
	tx := registry.NewSetTermsTx(w.net.Metadata.ChainID, owner, nonce, device, terms)
	return finishTx(c, w, tx, "set-terms", map[string]any{"device": device.String(), "terms": terms})
}
