package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// The worked example of docs/device-api.md §7. If this test fails, the
// document is wrong (or the encoding changed): fix both together.
func exampleKey(t testing.TB, seed string) *keys.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	k, err := keys.PrivateKeyFromBytes(s[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	exampleTD       = `{"@context":"https://www.w3.org/2022/wot/td/v1.1","id":"urn:thingchain:device:022e3d8041b76a7fc9152abffc67c7ac1c7a0c71e23f03e6417847919b56da7b69","title":"Thermo","securityDefinitions":{"nosec_sc":{"scheme":"nosec"}},"security":"nosec_sc","properties":{"temperature":{"type":"number","forms":[{"href":"https://thermo.example/t"}]}}}`
	exampleMetadata = `{"energy_class":"A"}`
)

func exampleCheckIn(t testing.TB) (device, owner *keys.PrivateKey, c *CheckIn, chainID uint32) {
	device, owner = exampleKey(t, "example device"), exampleKey(t, "example owner")
	c = &CheckIn{Owner: owner.PubKey(), Region: "EU-DE",
		Terms:            Terms{ReservePerPoint: 5, PointsPerPeriod: 100, AccessPeriodSeconds: 3600},
		ThingDescription: []byte(exampleTD), Metadata: []byte(exampleMetadata)}
	chainID = consensus.RegTest().Metadata.ChainID
	c.OwnerSig = owner.Sign(c.EnableHash(chainID, device.PubKey(), 0))
	return
}

func TestDocExampleVector(t *testing.T) {
	device, owner, c, chainID := exampleCheckIn(t)
	tx := NewCheckInTx(chainID, device, 0, owner.PubKey(), c.OwnerSig, CheckInRequest{Region: c.Region, Terms: c.Terms, ThingDescription: c.ThingDescription, Metadata: c.Metadata})
	got := map[string]string{
		"device":      device.PubKey().String(),
		"owner":       owner.PubKey().String(),
		"enable hash": c.EnableHash(chainID, device.PubKey(), 0).String(),
		"owner sig":   c.OwnerSig.String(),
		"payload":     hex.EncodeToString(c.Encode()),
		"tx sighash":  tx.SigHash().String(),
		"tx":          hex.EncodeToString(tx.Encode()),
		"td sha256":   hex.EncodeToString(sha256sum(c.ThingDescription)),
		"md sha256":   hex.EncodeToString(sha256sum(c.Metadata)),
	}
	if testing.Verbose() {
		for _, k := range []string{"device", "owner", "td sha256", "md sha256", "enable hash", "owner sig", "payload", "tx sighash", "tx"} {
			t.Logf("%s: %s", k, got[k])
		}
	}
	for k, want := range docVector {
		if got[k] != want {
			t.Errorf("%s: got %s, document says %s", k, got[k], want)
		}
	}
	if err := (Machine{}).checkCheckIn(tx); err != nil {
		t.Fatalf("example check-in does not pass sanity: %v", err)
	}
}

var docVector = map[string]string{
	"device":      "022e3d8041b76a7fc9152abffc67c7ac1c7a0c71e23f03e6417847919b56da7b69",
	"owner":       "036cb3345fabc2fa3e0f6a6e52646000fa3eca5906aa5999ac9099b670062b2815",
	"td sha256":   "96d4e099fc3492f7e0841ce909b10de0248ebcffa6a78b2a16fa8735dfcd27ad",
	"md sha256":   "5e79c01a1be282e0104d731cf54759540b4698c4ba8aee946a1e873e86b7f06d",
	"enable hash": "0bc7adcb00641c7cf957859888d319199952f543a760b4138ebb2bb1b543eba5",
	"owner sig":   "3a1bb3ef8fce65f13c07c6a87ea5bd5f7f74ef760496fe0e6d859f295e91f7a31b3516a93ef2e73c7a9f25a18b74007fbc6176f85c7e95d9f2e702d959ae5a74",
	"payload":     "036cb3345fabc2fa3e0f6a6e52646000fa3eca5906aa5999ac9099b670062b2815050045552d444505000000000000006400000000000000100e0000000000004c0100007b2240636f6e74657874223a2268747470733a2f2f7777772e77332e6f72672f323032322f776f742f74642f76312e31222c226964223a2275726e3a7468696e67636861696e3a6465766963653a303232653364383034316237366137666339313532616266666336376337616331633761306337316532336630336536343137383437393139623536646137623639222c227469746c65223a22546865726d6f222c227365637572697479446566696e6974696f6e73223a7b226e6f7365635f7363223a7b22736368656d65223a226e6f736563227d7d2c227365637572697479223a226e6f7365635f7363222c2270726f70657274696573223a7b2274656d7065726174757265223a7b2274797065223a226e756d626572222c22666f726d73223a5b7b2268726566223a2268747470733a2f2f746865726d6f2e6578616d706c652f74227d5d7d7d7d140000007b22656e657267795f636c617373223a2241227d3a1bb3ef8fce65f13c07c6a87ea5bd5f7f74ef760496fe0e6d859f295e91f7a31b3516a93ef2e73c7a9f25a18b74007fbc6176f85c7e95d9f2e702d959ae5a74",
	"tx sighash":  "4b0876dc4d1fc7073fde5a03afac06ee7e087074c60b01514460bc1eba7c3ad1",
	"tx":          "012063740400000000000000000000000000000000000000000000000000022e3d8041b76a7fc9152abffc67c7ac1c7a0c71e23f03e6417847919b56da7b69e803036cb3345fabc2fa3e0f6a6e52646000fa3eca5906aa5999ac9099b670062b2815050045552d444505000000000000006400000000000000100e0000000000004c0100007b2240636f6e74657874223a2268747470733a2f2f7777772e77332e6f72672f323032322f776f742f74642f76312e31222c226964223a2275726e3a7468696e67636861696e3a6465766963653a303232653364383034316237366137666339313532616266666336376337616331633761306337316532336630336536343137383437393139623536646137623639222c227469746c65223a22546865726d6f222c227365637572697479446566696e6974696f6e73223a7b226e6f7365635f7363223a7b22736368656d65223a226e6f736563227d7d2c227365637572697479223a226e6f7365635f7363222c2270726f70657274696573223a7b2274656d7065726174757265223a7b2274797065223a226e756d626572222c22666f726d73223a5b7b2268726566223a2268747470733a2f2f746865726d6f2e6578616d706c652f74227d5d7d7d7d140000007b22656e657267795f636c617373223a2241227d3a1bb3ef8fce65f13c07c6a87ea5bd5f7f74ef760496fe0e6d859f295e91f7a31b3516a93ef2e73c7a9f25a18b74007fbc6176f85c7e95d9f2e702d959ae5a742f25e29f6cde203979ae2cfcd102aaab8198d43e06e11ce409bf38648566caab29ae555ac85c926a1513672870643ac416bd68c6c90b83e1fa9ee38d9a830690",
}

func sha256sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
