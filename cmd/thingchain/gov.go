package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/registry"
)

// Governance from the command line: a proposal file travels between the
// authorities (each signs it on their own machine), then anyone submits
// it. docs/device-api.md "Onboarding a real device" walks through it.

// ProposalFile is a governance proposal with the approvals gathered so far.
type ProposalFile struct {
	Network       string             `json:"network"`
	ChainID       uint32             `json:"chain_id"`
	Action        string             `json:"action"`
	Subject       string             `json:"subject"`
	Name          string             `json:"name"`
	ProposalNonce uint64             `json:"proposal_nonce"`
	ApprovalHash  string             `json:"approval_hash"` // what each authority signs
	Threshold     int                `json:"threshold"`
	Authorities   int                `json:"authorities"`
	Approvals     []ProposalApproval `json:"approvals"`
}

// ProposalApproval is one authority's signature.
type ProposalApproval struct {
	AuthorityIndex uint8  `json:"authority_index"`
	Authority      string `json:"authority"`
	Sig            string `json:"sig"`
}

func (f *ProposalFile) proposal() (registry.Proposal, error) {
	a, err := registry.ParseAction(f.Action)
	if err != nil {
		return registry.Proposal{}, err
	}
	raw, err := hex.DecodeString(f.Subject)
	if err != nil {
		return registry.Proposal{}, fmt.Errorf("subject: %w", err)
	}
	subj, err := keys.ParsePubKey(raw)
	if err != nil {
		return registry.Proposal{}, fmt.Errorf("subject: %w", err)
	}
	return registry.Proposal{Action: a, Subject: subj, Name: f.Name, ProposalNonce: f.ProposalNonce}, nil
}

// governance builds the payload and checks every approval against the
// network's authority set.
func (f *ProposalFile) governance(net *consensus.Params) (*registry.Governance, error) {
	if f.Network != net.Name {
		return nil, fmt.Errorf("the proposal is for network %q, not %q: pass --network %s", f.Network, net.Name, f.Network)
	}
	p, err := f.proposal()
	if err != nil {
		return nil, err
	}
	g := &registry.Governance{Proposal: p}
	for _, a := range f.Approvals {
		raw, err := hex.DecodeString(a.Sig)
		if err != nil || len(raw) != keys.SignatureSize {
			return nil, fmt.Errorf("approval by authority %d: signature is not %d bytes of hex", a.AuthorityIndex, keys.SignatureSize)
		}
		g.Approvals = append(g.Approvals, registry.Approval{AuthorityIndex: a.AuthorityIndex, Sig: keys.Signature(raw)})
	}
	slices.SortFunc(g.Approvals, func(a, b registry.Approval) int { return int(a.AuthorityIndex) - int(b.AuthorityIndex) })
	hash := p.ApprovalHash(net.Metadata.ChainID)
	for _, a := range g.Approvals {
		if int(a.AuthorityIndex) >= len(net.Authorities) {
			return nil, fmt.Errorf("approval by authority %d: network %s has %d authorities", a.AuthorityIndex, net.Name, len(net.Authorities))
		}
		if !keys.Verify(keys.PubKey(net.Authorities[a.AuthorityIndex]), hash, a.Sig) {
			return nil, fmt.Errorf("approval by authority %d does not verify for this proposal: the file was edited after it was signed", a.AuthorityIndex)
		}
	}
	return g, nil
}

func (f *ProposalFile) progress() string {
	idx := make([]string, len(f.Approvals))
	for i, a := range f.Approvals {
		idx[i] = fmt.Sprint(a.AuthorityIndex)
	}
	state := "needs more approvals"
	if len(f.Approvals) >= f.Threshold {
		state = "ready to submit"
	}
	return fmt.Sprintf("%d of %d required approvals (authorities %d in all; signed by [%s]): %s",
		len(f.Approvals), f.Threshold, f.Authorities, strings.Join(idx, " "), state)
}

func readProposal(path string) (*ProposalFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("proposal file: %w (`thingchain gov propose --out FILE` writes one)", err)
	}
	var f ProposalFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s is not a proposal file: %w", path, err)
	}
	return &f, nil
}

func writeProposal(path string, f *ProposalFile) error {
	b, _ := json.MarshalIndent(f, "", "  ")
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func printProposal(c *cli.Context, path string, f *ProposalFile) error {
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"file": path, "proposal": f, "approvals": len(f.Approvals), "threshold": f.Threshold,
			"authorities": f.Authorities, "ready": len(f.Approvals) >= f.Threshold})
	}
	fmt.Fprintf(c.App.Writer, "%s %s %q (proposal nonce %d) on %s\n%s\n", f.Action, f.Subject, f.Name, f.ProposalNonce, f.Network, f.progress())
	return nil
}

func govCommand() *cli.Command {
	netFlags := []cli.Flag{walletNetFlag, walletDirFlag, passwordFileFlag, jsonFlag}
	return &cli.Command{
		Name:  "gov",
		Usage: "governance: authorities admit and revoke OEMs and miners (M-of-N approvals)",
		Description: `A governance action needs approvals from a threshold of the network's
authorities. One person writes a proposal file, each authority signs it
on their own machine (the file travels by any means), anyone submits it.

Example (regtest, whose authority keys are well known):
   thingchain gov propose --action admit-oem --subject acme-oem --name "Acme" --out p.json --network regtest
   thingchain gov approve p.json --dev-authority 0 --network regtest
   thingchain gov approve p.json --dev-authority 2 --network regtest
   thingchain gov submit p.json --wait --network regtest --datadir ./n1`,
		Subcommands: []*cli.Command{
			{
				Name:      "authorities",
				Usage:     "show the network's authority set and threshold",
				UsageText: "thingchain gov authorities [--network NET | --datadir DIR] [--json]\n\nExamples:\n   thingchain gov authorities --network test\n   thingchain gov authorities --datadir ./n1 --json   # the network of ./n1",
				Flags:     append(slices.Clone(netFlags), dataDirFlag),
				Action:    govAuthorities,
			},
			{
				Name:  "propose",
				Usage: "write a proposal file for the authorities to sign",
				UsageText: `thingchain gov propose --action ACTION --subject KEY --name NAME --out FILE [--proposal-nonce N]

ACTION is admit-oem, revoke-oem, admit-miner or revoke-miner; KEY the
OEM's attestation key or the miner's key (hex, or a keystore name).

Example:
   thingchain gov propose --action admit-oem --subject 02ab...ef --name "Acme Appliances" --out acme.json --network test`,
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "action", Usage: "admit-oem, revoke-oem, admit-miner or revoke-miner", Required: true},
					&cli.StringFlag{Name: "subject", Usage: "the OEM's or miner's public key (hex) or keystore name", Required: true},
					&cli.StringFlag{Name: "name", Usage: "a label, e.g. the company (at most 64 bytes)"},
					&cli.Uint64Flag{Name: "proposal-nonce", Usage: "unique per executed proposal (default: random)"},
					&cli.StringFlag{Name: "out", Usage: "proposal file to write", Required: true},
				}, netFlags...),
				Action: govPropose,
			},
			{
				Name:  "approve",
				Usage: "sign a proposal file as one authority (offline: needs no node)",
				UsageText: `thingchain gov approve FILE (--key NAME | --dev-authority I)

Example:
   thingchain gov approve acme.json --key authority-2 --network test --password-file pw.txt`,
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "key", Usage: "keystore name of your authority key"},
					&cli.IntFlag{Name: "dev-authority", Value: -1, Usage: "sign with the well-known authority key I of a test network (never main)"},
				}, netFlags...),
				Action: govApprove,
			},
			{
				Name:      "status",
				Usage:     "show a proposal's approvals, whether it can be submitted and (with --node or --datadir) the subject's membership on chain",
				UsageText: "thingchain gov status FILE [--node URL | --datadir DIR] [--json]\n\nExample:\n   thingchain gov status acme.json --network test --node http://127.0.0.1:19741",
				Flags:     append([]cli.Flag{nodeURLFlag, dataDirFlag}, netFlags...),
				Action:    govStatus,
			},
			{
				Name:  "submit",
				Usage: "submit an approved proposal as a governance transaction",
				UsageText: `thingchain gov submit FILE [--key NAME] [--wait]

Any key may submit (fees are zero); without --key a fresh one-time key is used.

Example:
   thingchain gov submit acme.json --wait --network test --node http://127.0.0.1:19741`,
				Flags:  onboardFlags(&cli.StringFlag{Name: "key", Usage: "keystore name of the submitting key (default: a one-time key)"}),
				Action: govSubmit,
			},
			{
				Name:  "genesis",
				Usage: "produce the authority set of a new network's genesis",
				UsageText: `thingchain gov genesis --authority KEY... --threshold M [--out FILE]

Writes the authority set as JSON and prints the Go literal that fixes it in
consensus (see docs/device-api.md "Authorities at genesis").

Example:
   thingchain gov genesis --authority 02aa... --authority 03bb... --authority 02cc... --threshold 2`,
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "authority", Usage: "an authority's compressed public key (hex), in order; repeat", Required: true},
					&cli.IntFlag{Name: "threshold", Usage: "approvals a governance action needs", Required: true},
					&cli.StringFlag{Name: "out", Usage: "also write the JSON to this file"},
					jsonFlag,
				},
				Action: govGenesis,
			},
		},
	}
}

func govAuthorities(c *cli.Context) error {
	net, err := commandNetwork(c)
	if err != nil {
		return err
	}
	_, dev := registry.DevAuthorityKeys(net)
	list := make([]string, len(net.Authorities))
	for i, k := range net.Authorities {
		list[i] = hex.EncodeToString(k[:])
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"network": net.Name, "threshold": net.AuthorityThreshold, "authorities": list, "well_known_dev_keys": dev})
	}
	if len(list) == 0 {
		fmt.Fprintf(c.App.Writer, "network %s has no authorities yet: its consortium fixes them at launch (docs/device-api.md \"Authorities at genesis\")\n", net.Name)
		return nil
	}
	fmt.Fprintf(c.App.Writer, "network %s: %d of %d authorities must approve\n", net.Name, net.AuthorityThreshold, len(list))
	for i, k := range list {
		fmt.Fprintf(c.App.Writer, "  %d  %s\n", i, k)
	}
	if dev {
		fmt.Fprintln(c.App.Writer, "these are the well-known development keys: sign with --dev-authority I")
	}
	return nil
}

func govPropose(c *cli.Context) error {
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	action, err := registry.ParseAction(c.String("action"))
	if err != nil {
		return err
	}
	subject, err := resolvePubKey(w, c.String("subject"), "--subject")
	if err != nil {
		return err
	}
	if len(c.String("name")) > registry.MaxNameBytes {
		return fmt.Errorf("--name is %d bytes, at most %d", len(c.String("name")), registry.MaxNameBytes)
	}
	nonce := c.Uint64("proposal-nonce")
	if !c.IsSet("proposal-nonce") {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		nonce = binary.BigEndian.Uint64(b[:]) >> 1
	}
	if len(w.net.Authorities) == 0 {
		return fmt.Errorf("network %s has no authorities: no proposal can be approved there", w.net.Name)
	}
	p := registry.Proposal{Action: action, Subject: subject, Name: c.String("name"), ProposalNonce: nonce}
	f := &ProposalFile{Network: w.net.Name, ChainID: w.net.Metadata.ChainID, Action: action.String(), Subject: subject.String(), Name: p.Name,
		ProposalNonce: nonce, ApprovalHash: p.ApprovalHash(w.net.Metadata.ChainID).String(),
		Threshold: max(w.net.AuthorityThreshold, 1), Authorities: len(w.net.Authorities), Approvals: []ProposalApproval{}}
	if err := writeProposal(c.String("out"), f); err != nil {
		return err
	}
	return printProposal(c, c.String("out"), f)
}

func govApprove(c *cli.Context) error {
	if err := exactArgs(c, 1, "FILE"); err != nil {
		return err
	}
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	path := c.Args().First()
	f, err := readProposal(path)
	if err != nil {
		return err
	}
	if _, err := f.governance(w.net); err != nil {
		return err
	}
	var key *keys.PrivateKey
	switch {
	case c.Int("dev-authority") >= 0 && c.String("key") != "":
		return fmt.Errorf("pass --key or --dev-authority, not both")
	case c.Int("dev-authority") >= 0:
		dev, ok := registry.DevAuthorityKeys(w.net)
		if !ok {
			return fmt.Errorf("network %s has no well-known authority keys: sign with your own --key", w.net.Name)
		}
		i := c.Int("dev-authority")
		if i >= len(dev) {
			return fmt.Errorf("--dev-authority %d: network %s has %d authorities", i, w.net.Name, len(dev))
		}
		key = dev[i]
	default:
		if key, err = loadKey(c, w, c.String("key"), "authority"); err != nil {
			return err
		}
	}
	idx := slices.IndexFunc(w.net.Authorities, func(k [33]byte) bool { return keys.PubKey(k) == key.PubKey() })
	if idx < 0 {
		return fmt.Errorf("key %s is not one of network %s's authorities (see `thingchain gov authorities`)", key.PubKey(), w.net.Name)
	}
	if slices.ContainsFunc(f.Approvals, func(a ProposalApproval) bool { return int(a.AuthorityIndex) == idx }) {
		return fmt.Errorf("authority %d has already approved this proposal", idx)
	}
	p, _ := f.proposal()
	a := registry.Approve(w.net.Metadata.ChainID, p, uint8(idx), key)
	f.Approvals = append(f.Approvals, ProposalApproval{AuthorityIndex: uint8(idx), Authority: key.PubKey().String(), Sig: a.Sig.String()})
	slices.SortFunc(f.Approvals, func(a, b ProposalApproval) int { return int(a.AuthorityIndex) - int(b.AuthorityIndex) })
	if err := writeProposal(path, f); err != nil {
		return err
	}
	return printProposal(c, path, f)
}

func govStatus(c *cli.Context) error {
	if err := exactArgs(c, 1, "FILE"); err != nil {
		return err
	}
	net, err := commandNetwork(c)
	if err != nil {
		return err
	}
	f, err := readProposal(c.Args().First())
	if err != nil {
		return err
	}
	if _, err := f.governance(net); err != nil {
		return err
	}
	if c.String("node") == "" && c.String("datadir") == "" {
		return printProposal(c, c.Args().First(), f)
	}
	// On chain: the subject's membership, which shows whether the
	// proposal (or an earlier one) took effect.
	client, err := dialAPI(c, net)
	if err != nil {
		return err
	}
	defer client.Close()
	method := "registry.oem"
	if strings.HasSuffix(f.Action, "-miner") {
		method = "registry.miner"
	}
	var m *registry.Member
	if err := client.Call(c.Context, method, api.KeyParams{Key: f.Subject}, &m); err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]any{"file": c.Args().First(), "proposal": f, "approvals": len(f.Approvals), "threshold": f.Threshold,
			"authorities": f.Authorities, "ready": len(f.Approvals) >= f.Threshold, "membership": m})
	}
	if err := printProposal(c, c.Args().First(), f); err != nil {
		return err
	}
	switch {
	case m == nil:
		fmt.Fprintln(c.App.Writer, "on chain: the subject was never admitted")
	case m.Revoked:
		fmt.Fprintf(c.App.Writer, "on chain: admitted at height %d, revoked at height %d\n", m.AdmittedHeight, m.RevokedHeight)
	default:
		fmt.Fprintf(c.App.Writer, "on chain: admitted at height %d (%s)\n", m.AdmittedHeight, m.Name)
	}
	return nil
}

func govSubmit(c *cli.Context) error {
	if err := exactArgs(c, 1, "FILE"); err != nil {
		return err
	}
	w, err := openWallet(c)
	if err != nil {
		return err
	}
	f, err := readProposal(c.Args().First())
	if err != nil {
		return err
	}
	g, err := f.governance(w.net)
	if err != nil {
		return err
	}
	if err := registry.CheckApprovals(w.net, w.net.Metadata.ChainID, g, nil); err != nil {
		return fmt.Errorf("%w\n%s", err, f.progress())
	}
	var submitter *keys.PrivateKey
	if c.String("key") != "" {
		if submitter, err = loadKey(c, w, c.String("key"), "submitting"); err != nil {
			return err
		}
	} else if submitter, err = keys.GenerateKey(); err != nil {
		return err
	}
	nonce, err := metadataNonce(c, w, submitter.PubKey())
	if err != nil {
		return err
	}
	tx := registry.NewGovernanceTx(w.net.Metadata.ChainID, submitter, nonce, g.Proposal, g.Approvals)
	return finishTx(c, w, tx, "governance", map[string]any{"action": f.Action, "subject": f.Subject, "name": f.Name, "approvals": len(g.Approvals)})
}

// GenesisAuthorities is the file `gov genesis` writes.
type GenesisAuthorities struct {
	Threshold   int      `json:"threshold"`
	Authorities []string `json:"authorities"`
}

func govGenesis(c *cli.Context) error {
	var g GenesisAuthorities
	seen := map[keys.PubKey]bool{}
	for _, s := range c.StringSlice("authority") {
		raw, err := hex.DecodeString(s)
		if err != nil {
			return fmt.Errorf("--authority %s: not hex", s)
		}
		pk, err := keys.ParsePubKey(raw)
		if err != nil {
			return fmt.Errorf("--authority %s: %w", s, err)
		}
		if seen[pk] {
			return fmt.Errorf("--authority %s appears twice", s)
		}
		seen[pk] = true
		g.Authorities = append(g.Authorities, pk.String())
	}
	g.Threshold = c.Int("threshold")
	if g.Threshold < 1 || g.Threshold > len(g.Authorities) {
		return fmt.Errorf("--threshold %d must be between 1 and the number of authorities (%d)", g.Threshold, len(g.Authorities))
	}
	if len(g.Authorities) > registry.MaxApprovals {
		return fmt.Errorf("%d authorities: at most %d", len(g.Authorities), registry.MaxApprovals)
	}
	if out := c.String("out"); out != "" {
		b, _ := json.MarshalIndent(g, "", "  ")
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, g)
	}
	fmt.Fprintf(c.App.Writer, "// consensus/<network>.go: %d of %d authorities\np.Authorities = mustPubKeys(\n", g.Threshold, len(g.Authorities))
	for _, k := range g.Authorities {
		fmt.Fprintf(c.App.Writer, "\t%q,\n", k)
	}
	fmt.Fprintf(c.App.Writer, ")\np.AuthorityThreshold = %d\n", g.Threshold)
	return nil
}
