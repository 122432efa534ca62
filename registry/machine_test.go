package registry

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// TestHappyPath walks the whole metadata-chain life of one device on a
// real chain with real signatures: governance admits the OEM with 2 of 3
// approvals, the OEM publishes a model and attests the device, the device
// checks in with its owner's signature, and the owner then changes terms,
// disables and the device re-enables.
func TestHappyPath(t *testing.T) {
	w := newWorld(t)
	var oemRec *Member
	var model *Model
	w.read(func(v *chain.View) (err error) {
		if oemRec, err = GetOEM(v, w.oem.PubKey()); err != nil {
			return err
		}
		model, err = GetModel(v, w.model.ModelID)
		return err
	})
	if oemRec == nil || oemRec.Revoked || oemRec.Name != "Acme Appliances" {
		t.Fatalf("OEM record %+v", oemRec)
	}
	if model == nil || model.OEM != w.oem.PubKey().String() || model.Kind != "fridge" || len(model.MetadataSchema) != 4 {
		t.Fatalf("model record %+v", model)
	}

	dev := w.attest()
	d := w.device(dev.PubKey())
	if d == nil || d.Enabled || d.Owner != "" || d.OEM != w.oem.PubKey().String() || d.Model != w.model.ModelID {
		t.Fatalf("attested record %+v", d)
	}
	w.read(func(v *chain.View) error {
		if ok, err := IsAuctionable(v, dev.PubKey()); err != nil || ok {
			t.Fatalf("attested but not enabled device auctionable=%v err=%v", ok, err)
		}
		return nil
	})

	owner := mustKey(t)
	req := fridgeRequest(t)
	blk := w.mustSubmit(w.checkIn(dev, owner, req))
	d = w.device(dev.PubKey())
	ownerAddr := owner.PubKey().Address().Encode(w.net.AddressHRP)
	if !d.Enabled || d.Owner != ownerAddr || d.Region != "EU-DE" || d.Terms != req.Terms || d.EnabledHeight != blk.Header.Height {
		t.Fatalf("enabled record %+v", d)
	}
	if d.Kind != "fridge" || !json.Valid(d.TD) || string(d.Metadata) != string(req.Metadata) {
		t.Fatalf("record content: kind %q td %s metadata %s", d.Kind, d.TD, d.Metadata)
	}
	w.read(func(v *chain.View) error {
		ok, err := IsAuctionable(v, dev.PubKey())
		if err != nil || !ok {
			t.Fatalf("enabled device not auctionable: %v", err)
		}
		n := 0
		if err := ScanDevices(v, func(*Device) error { n++; return nil }); err != nil || n != 1 {
			t.Fatalf("ScanDevices saw %d devices, err %v", n, err)
		}
		return nil
	})

	newTerms := Terms{ReservePerPoint: 25, PointsPerPeriod: 500, AccessPeriodSeconds: 3600}
	w.mustSubmit(NewSetTermsTx(w.chainID(), owner, w.nonce(owner), dev.PubKey(), newTerms))
	if got := w.device(dev.PubKey()).Terms; got != newTerms {
		t.Fatalf("terms after SetTerms: %+v", got)
	}
	w.mustSubmit(NewDisableTx(w.chainID(), owner, w.nonce(owner), dev.PubKey()))
	if w.device(dev.PubKey()).Enabled {
		t.Fatal("device still enabled after Disable")
	}
	wantKind(t, w.submit(NewDisableTx(w.chainID(), owner, w.nonce(owner), dev.PubKey())), ErrNotEnabled)
	// After a disable a new owner (resale) may enable it.
	owner2 := mustKey(t)
	w.mustSubmit(w.checkIn(dev, owner2, req))
	if d := w.device(dev.PubKey()); !d.Enabled || d.Owner != owner2.PubKey().Address().Encode(w.net.AddressHRP) {
		t.Fatalf("re-enabled record %+v", d)
	}
}

func TestNonceRules(t *testing.T) {
	w := newWorld(t)
	used := w.nonce(w.oem) - 1
	dev := mustKey(t)
	err := w.submit(NewAttestTx(w.chainID(), w.oem, used, dev.PubKey(), w.model.ModelID))
	wantKind(t, err, consensus.ErrBadNonce)
	if !strings.Contains(err.Error(), "reused") {
		t.Errorf("reused nonce error %q does not say so", err)
	}
	err = w.submit(NewAttestTx(w.chainID(), w.oem, used+5, dev.PubKey(), w.model.ModelID))
	wantKind(t, err, consensus.ErrBadNonce)
	if !strings.Contains(err.Error(), "future") {
		t.Errorf("future nonce error %q does not say so", err)
	}
}

func TestFeeNotAllowed(t *testing.T) {
	w := newWorld(t)
	tx := &wire.Tx{ChainID: w.chainID(), Type: TxAttestDevice, Nonce: w.nonce(w.oem), Fee: 1, Sender: w.oem.PubKey(),
		Payload: (&AttestDevice{DeviceKey: mustKey(t).PubKey(), ModelID: w.model.ModelID}).Encode()}
	tx.Sig = w.oem.Sign(tx.SigHash())
	wantKind(t, w.submit(tx), ErrFeeNotAllowed)
	tx = &wire.Tx{ChainID: w.chainID(), Type: 99, Sender: w.oem.PubKey()}
	tx.Sig = w.oem.Sign(tx.SigHash())
	wantKind(t, w.submit(tx), ErrUnknownTxType)
}

func TestGovernanceRejections(t *testing.T) {
	w := newWorld(t)
	cand := mustKey(t).PubKey()
	chainID := w.chainID()

	// One approval of a 2-of-3 set.
	wantKind(t, w.submit(w.govTx(AdmitOEM, cand, "Below", 1)), ErrBelowThreshold)
	// No approvals at all.
	wantKind(t, w.submit(w.govTx(AdmitOEM, cand, "None")), ErrBelowThreshold)

	// An approval from a key outside the set, under a valid index.
	p := Proposal{Action: AdmitOEM, Subject: cand, Name: "Forged", ProposalNonce: 100}
	outsider := mustKey(t)
	forged := []Approval{Approve(chainID, p, 0, w.auth[0]), Approve(chainID, p, 1, outsider)}
	wantKind(t, w.submit(NewGovernanceTx(chainID, w.gov, w.nonce(w.gov), p, forged)), ErrBadApproval)

	// An approval of a different proposal (the name was changed after signing).
	signed := Approve(chainID, p, 1, w.auth[1])
	changed := p
	changed.Name = "Changed"
	wantKind(t, w.submit(NewGovernanceTx(chainID, w.gov, w.nonce(w.gov), changed, []Approval{Approve(chainID, changed, 0, w.auth[0]), signed})), ErrBadApproval)

	// Approvals signed for another chain (replay across chains).
	other := []Approval{Approve(chainID+1, p, 0, w.auth[0]), Approve(chainID+1, p, 1, w.auth[1])}
	wantKind(t, w.submit(NewGovernanceTx(chainID, w.gov, w.nonce(w.gov), p, other)), ErrBadApproval)

	// The same authority twice does not count twice.
	twice := &Governance{Proposal: p, Approvals: []Approval{Approve(chainID, p, 0, w.auth[0]), Approve(chainID, p, 0, w.auth[0])}}
	tx := signRaw(w.node, w.gov, TxGovernance, twice.Encode())
	wantKind(t, w.submit(tx), ErrBadApproval)

	// An index beyond the set.
	beyond := []Approval{Approve(chainID, p, 0, w.auth[0]), {AuthorityIndex: 7, Sig: outsider.Sign(p.ApprovalHash(chainID))}}
	wantKind(t, w.submit(NewGovernanceTx(chainID, w.gov, w.nonce(w.gov), p, beyond)), ErrNotAuthority)

	// A valid proposal executes once; its replay is refused.
	good := NewApprovedGovernanceTx(chainID, w.gov, w.nonce(w.gov), p, w.auth, []uint8{0, 2})
	w.mustSubmit(good)
	replay := NewApprovedGovernanceTx(chainID, w.gov, w.nonce(w.gov), p, w.auth, []uint8{1, 2})
	wantKind(t, w.submit(replay), ErrProposalReused)

	wantKind(t, w.submit(w.govTx(AdmitOEM, cand, "Again", 0, 1)), ErrAlreadyAdmitted)
	wantKind(t, w.submit(w.govTx(RevokeOEM, mustKey(t).PubKey(), "", 0, 1)), ErrNotOEM)
	wantKind(t, w.submit(w.govTx(RevokeMiner, mustKey(t).PubKey(), "", 0, 1)), ErrNotMiner)
}

func TestMinerAdmission(t *testing.T) {
	w := newWorld(t)
	mk := mustKey(t).PubKey()
	admitted := func() bool {
		var ok bool
		var listed []keys.PubKey
		w.read(func(v *chain.View) (err error) {
			if ok, err = MinerAdmitted(v, mk); err != nil {
				return err
			}
			listed, err = AdmittedMiners(v)
			return err
		})
		if slices.Contains(listed, mk) != ok {
			t.Fatalf("AdmittedMiners %v disagrees with MinerAdmitted %v", listed, ok)
		}
		return ok
	}
	if admitted() {
		t.Fatal("miner admitted before governance")
	}
	w.mustSubmit(w.govTx(AdmitMiner, mk, "Pool A", 1, 2))
	if !admitted() {
		t.Fatal("miner not admitted after governance")
	}
	w.mustSubmit(w.govTx(RevokeMiner, mk, "", 0, 2))
	if admitted() {
		t.Fatal("miner still admitted after revocation")
	}
	wantKind(t, w.submit(w.govTx(RevokeMiner, mk, "", 0, 2)), ErrNotMiner)
	w.mustSubmit(w.govTx(AdmitMiner, mk, "Pool A again", 1, 2))
	if !admitted() {
		t.Fatal("miner not admitted again after a re-admission")
	}
}

func TestModelRejections(t *testing.T) {
	w := newWorld(t)
	stranger := mustKey(t)
	m := fridgeModel()
	m.ModelID = "other-model"
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), stranger, 0, m)), ErrNotOEM)
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), fridgeModel())), ErrModelExists)
	// Field names are never personal data; values in the model's text are.
	pm := m
	pm.MetadataSchema = append([]Field{{Name: "name", Type: TypeString}, {Name: "location", Type: TypeString}}, m.MetadataSchema...)
	w.mustSubmit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), pm))
	pm = m
	pm.ModelID = "third-model"
	pm.ThingModel = []byte(`{"@context":"https://www.w3.org/2022/wot/td/v1.1","@type":"tm:ThingModel","title":"support: help@acme.example"}`)
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), pm)), ErrPersonalEmail)
	pm.ThingModel = []byte(`{"@context":"https://www.w3.org/2022/wot/td/v1.1","title":"not a model"}`)
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), pm)), ErrBadThingModel)
	// A new version of someone else's model, and a version that is not higher.
	other := m
	other.Version = 2
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), stranger, 0, other)), ErrNotOEM)
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), m)), ErrModelExists)
	// An admitted OEM cannot publish a version of another OEM's model, and
	// a new version cannot change the kind.
	oem2 := mustKey(t)
	w.mustSubmit(w.govTx(AdmitOEM, oem2.PubKey(), "Rival", 0, 1))
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), oem2, w.nonce(oem2), other)), ErrModelNotOwned)
	kindChange := other
	kindChange.Kind = "tv"
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), kindChange)), ErrBadPayload)
	zero := m
	zero.Version = 0
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), zero)), ErrBadPayload)
}

func TestAttestRejections(t *testing.T) {
	w := newWorld(t)
	dev := mustKey(t).PubKey()
	// An OEM that governance never admitted.
	unknown := mustKey(t)
	wantKind(t, w.submit(NewAttestTx(w.chainID(), unknown, 0, dev, w.model.ModelID)), ErrNotOEM)
	wantKind(t, w.submit(NewAttestTx(w.chainID(), w.oem, w.nonce(w.oem), dev, "no-such-model")), ErrUnknownModel)

	// A second OEM may not attest devices of the first one's model.
	oem2 := mustKey(t)
	w.mustSubmit(w.govTx(AdmitOEM, oem2.PubKey(), "Other Corp", 0, 1))
	wantKind(t, w.submit(NewAttestTx(w.chainID(), oem2, w.nonce(oem2), dev, w.model.ModelID)), ErrModelNotOwned)

	w.mustSubmit(NewAttestTx(w.chainID(), w.oem, w.nonce(w.oem), dev, w.model.ModelID))
	wantKind(t, w.submit(NewAttestTx(w.chainID(), w.oem, w.nonce(w.oem), dev, w.model.ModelID)), ErrDeviceExists)

	// A revoked OEM can neither attest nor publish.
	w.mustSubmit(w.govTx(RevokeOEM, w.oem.PubKey(), "", 1, 2))
	wantKind(t, w.submit(NewAttestTx(w.chainID(), w.oem, w.nonce(w.oem), mustKey(t).PubKey(), w.model.ModelID)), ErrOEMRevoked)
	m := fridgeModel()
	m.ModelID = "after-revoke"
	wantKind(t, w.submit(NewPublishModelTx(w.chainID(), w.oem, w.nonce(w.oem), m)), ErrOEMRevoked)
	wantKind(t, w.submit(w.govTx(RevokeOEM, w.oem.PubKey(), "", 1, 2)), ErrOEMRevoked)
}

func TestCheckInRejections(t *testing.T) {
	w := newWorld(t)
	owner := mustKey(t)
	req := fridgeRequest(t)

	t.Run("not attested", func(t *testing.T) {
		wantKind(t, w.submit(w.checkIn(mustKey(t), owner, req)), ErrNotAttested)
	})
	t.Run("attested by an OEM that was later revoked", func(t *testing.T) {
		oem2 := mustKey(t)
		w.mustSubmit(w.govTx(AdmitOEM, oem2.PubKey(), "Short-lived", 0, 1))
		m := fridgeModel()
		m.ModelID = "short-lived-fridge"
		w.mustSubmit(NewPublishModelTx(w.chainID(), oem2, w.nonce(oem2), m))
		dev := mustKey(t)
		w.mustSubmit(NewAttestTx(w.chainID(), oem2, w.nonce(oem2), dev.PubKey(), m.ModelID))
		w.mustSubmit(w.govTx(RevokeOEM, oem2.PubKey(), "", 0, 1))
		wantKind(t, w.submit(w.checkIn(dev, owner, req)), ErrOEMRevoked)
	})
	t.Run("attested by an unknown OEM", func(t *testing.T) {
		// An unknown OEM's attestation never reaches state, so its device
		// is unknown to the chain at check-in.
		rogue, dev := mustKey(t), mustKey(t)
		wantKind(t, w.submit(NewAttestTx(w.chainID(), rogue, 0, dev.PubKey(), w.model.ModelID)), ErrNotOEM)
		wantKind(t, w.submit(w.checkIn(dev, owner, req)), ErrNotAttested)
	})
	t.Run("enable not signed by the owner", func(t *testing.T) {
		dev := w.attest()
		req := req
		req.ThingDescription = withDeviceID(t, req.ThingDescription, dev.PubKey())
		impostor := mustKey(t)
		sig := SignEnable(w.chainID(), impostor, dev.PubKey(), w.nonce(dev), req)
		wantKind(t, w.submit(NewCheckInTx(w.chainID(), dev, w.nonce(dev), owner.PubKey(), sig, req)), ErrBadOwnerSig)
		// A signature over different terms than the transaction carries.
		other := req
		other.Terms.ReservePerPoint++
		sig = SignEnable(w.chainID(), owner, dev.PubKey(), w.nonce(dev), other)
		wantKind(t, w.submit(NewCheckInTx(w.chainID(), dev, w.nonce(dev), owner.PubKey(), sig, req)), ErrBadOwnerSig)
		// A signature for an earlier nonce (a replayed enable).
		sig = SignEnable(w.chainID(), owner, dev.PubKey(), w.nonce(dev)+1, req)
		wantKind(t, w.submit(NewCheckInTx(w.chainID(), dev, w.nonce(dev), owner.PubKey(), sig, req)), ErrBadOwnerSig)
		// The device signing as its own owner.
		wantKind(t, w.submit(w.checkIn(dev, dev, req)), ErrBadPayload)
	})
	t.Run("Thing Description missing members", func(t *testing.T) {
		dev := w.attest()
		for _, member := range []string{"@context", "title", "securityDefinitions", "security", "forms", "href"} {
			td := fridgeTD()
			switch member {
			case "forms":
				delete(td["events"].(map[string]any)["defrost"].(map[string]any), "forms")
			case "href":
				td["properties"].(map[string]any)["door_open"].(map[string]any)["forms"] = []any{map[string]any{"op": "readproperty"}}
			default:
				delete(td, member)
			}
			r := req
			r.ThingDescription = mustJSON(t, td)
			err := w.submit(w.checkIn(dev, owner, r))
			wantKind(t, err, ErrBadThingDescription)
		}
	})
	t.Run("metadata does not match the schema", func(t *testing.T) {
		dev := w.attest()
		for _, md := range []string{
			`{"capacity_l":320}`,                                     // required energy_class missing
			`{"energy_class":"A","capacity_l":"320"}`,                // wrong type
			`{"energy_class":"A","capacity_l":320.5}`,                // integer with a fraction
			`{"energy_class":"A","capacity_l":320,"colour":"white"}`, // unknown field
			`{"energy_class":"A","capacity_l":320,"has_freezer":null}`,
			`{"energy_class":"A","energy_class":"B","capacity_l":1}`, // duplicate key
			`[1,2]`,
		} {
			r := req
			r.Metadata = []byte(md)
			wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrMetadataSchema)
		}
	})
	t.Run("personal data", func(t *testing.T) {
		dev := w.attest()
		r := req
		r.Metadata = []byte(`{"energy_class":"A","capacity_l":1,"rated_power_w":2,"has_freezer":true}`)
		r.Metadata = []byte(`{"energy_class":"call +49 30 1234 5678","capacity_l":1}`)
		wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrPersonalPhone)
		td := fridgeTD()
		td["description"] = "in the kitchen of 12 Baker Street"
		r = req
		r.ThingDescription = mustJSON(t, td)
		wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrPersonalAddress)
		td = fridgeTD()
		td["base"] = "http://192.168.1.20:8080/"
		r.ThingDescription = mustJSON(t, td)
		wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrPersonalIP)
		td = fridgeTD()
		td["id"] = "urn:dev:mac:00:1a:2b:3c:4d:5e"
		r.ThingDescription = mustJSON(t, td)
		wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrBadDeviceID)
	})
	t.Run("Thing Description not an instance of the model", func(t *testing.T) {
		dev := w.attest()
		td := fridgeTD()
		delete(td["properties"].(map[string]any), "temperature")
		r := req
		r.ThingDescription = mustJSON(t, td)
		wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrTDMissingAffordance)
		td = fridgeTD()
		td["properties"].(map[string]any)["door_open"].(map[string]any)["type"] = "string"
		r.ThingDescription = mustJSON(t, td)
		wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrTDSchemaMismatch)
	})
	t.Run("region and terms", func(t *testing.T) {
		dev := w.attest()
		for _, region := range []string{"", "de", "DEU", "EU-DE-BE", "US-CA94", "EU DE"} {
			r := req
			r.Region = region
			wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrBadRegion)
		}
		r := req
		r.Terms.PointsPerPeriod = 0
		wantKind(t, w.submit(w.checkIn(dev, owner, r)), ErrBadTerms)
	})
	t.Run("owners", func(t *testing.T) {
		dev := w.attest()
		w.mustSubmit(w.checkIn(dev, owner, req))
		// Another owner cannot take over an enabled device.
		wantKind(t, w.submit(w.checkIn(dev, mustKey(t), req)), ErrNotOwner)
		stranger := mustKey(t)
		wantKind(t, w.submit(NewDisableTx(w.chainID(), stranger, 0, dev.PubKey())), ErrNotOwner)
		wantKind(t, w.submit(NewSetTermsTx(w.chainID(), stranger, 0, dev.PubKey(), req.Terms)), ErrNotOwner)
		// The device key itself is not its owner.
		wantKind(t, w.submit(NewDisableTx(w.chainID(), dev, w.nonce(dev), dev.PubKey())), ErrNotOwner)
		wantKind(t, w.submit(NewDisableTx(w.chainID(), owner, w.nonce(owner), mustKey(t).PubKey())), ErrNotAttested)
	})
}

// TestBlockWithBadOwnerSigRejected shows the owner signature is a block
// rule, not just a mempool rule: a block carrying a forged check-in is
// refused at import.
func TestBlockWithBadOwnerSigRejected(t *testing.T) {
	w := newWorld(t)
	dev := w.attest()
	req := fridgeRequest(t)
	req.ThingDescription = withDeviceID(t, req.ThingDescription, dev.PubKey())
	owner, impostor := mustKey(t), mustKey(t)
	sig := SignEnable(w.chainID(), impostor, dev.PubKey(), 0, req)
	tx := NewCheckInTx(w.chainID(), dev, 0, owner.PubKey(), sig, req)
	blk, err := w.template(tx) // templates trust the mempool's sanity check
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.c.ProcessBlock(t.Context(), blk)
	wantKind(t, err, ErrBadOwnerSig)
	if w.device(dev.PubKey()).Enabled {
		t.Fatal("forged check-in enabled the device")
	}
}

func TestDevKeys(t *testing.T) {
	for _, net := range []*consensus.Params{consensus.RegTest(), consensus.TestNet()} {
		privs, ok := DevAuthorityKeys(net)
		if !ok || len(privs) != 3 || net.AuthorityThreshold != 2 {
			t.Fatalf("%s: dev authorities ok=%v n=%d threshold %d", net.Name, ok, len(privs), net.AuthorityThreshold)
		}
		for i, k := range privs {
			if k.PubKey() != keys.PubKey(net.Authorities[i]) {
				t.Fatalf("%s: authority %d mismatch", net.Name, i)
			}
		}
		a, _ := DevOEMKey(net, "fridge")
		b, _ := DevOEMKey(net, "tv")
		if a.PubKey() == b.PubKey() {
			t.Fatal("dev OEM keys of two kinds are equal")
		}
	}
	if _, ok := DevAuthorityKeys(consensus.MainNet()); ok {
		t.Fatal("main must not have dev authority keys")
	}
	if _, ok := DevOEMKey(consensus.MainNet(), "fridge"); ok {
		t.Fatal("main must not have dev OEM keys")
	}
	// Main's placeholder: no governance transaction can pass.
	g := &Governance{Proposal: Proposal{Action: AdmitOEM}, Approvals: []Approval{{AuthorityIndex: 0}}}
	wantKind(t, CheckApprovals(consensus.MainNet(), 1, g, nil), ErrNotAuthority)
}

func signRaw(n *node, k *keys.PrivateKey, typ uint16, payload []byte) *wire.Tx {
	tx := &wire.Tx{ChainID: n.chainID(), Type: typ, Nonce: n.nonce(k), Sender: k.PubKey(), Payload: payload}
	tx.Sig = k.Sign(tx.SigHash())
	return tx
}
