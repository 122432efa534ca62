package registry

import (
	"testing"

	"github.com/thingchain/thingchain/chain"
)

// TestDeviceAt: the auction chain's anchor question — was the device
// auctionable right after block h, on whose terms — is answered exactly
// for every height from the record's history and the OEM's membership.
func TestDeviceAt(t *testing.T) {
	w := newWorld(t)
	dev := w.attest()
	attested := w.c.Tip().Height
	owner := mustKey(t)
	req := fridgeRequest(t)
	w.mustSubmit(w.checkIn(dev, owner, req))
	enabled := w.c.Tip().Height
	w.mustSubmit(NewDisableTx(w.chainID(), owner, w.nonce(owner), dev.PubKey()))
	disabled := w.c.Tip().Height
	req2 := req
	req2.Terms.ReservePerPoint = 99
	w.mustSubmit(w.checkIn(dev, owner, req2))
	reEnabled := w.c.Tip().Height
	w.mustSubmit(w.govTx(RevokeOEM, w.oem.PubKey(), "Acme Appliances", 0, 1))
	revoked := w.c.Tip().Height

	type want struct {
		exists, auctionable bool
		reserve             uint64
	}
	cases := map[uint64]want{
		attested - 1: {false, false, 0},
		attested:     {true, false, 0},
		enabled:      {true, true, req.Terms.ReservePerPoint},
		disabled:     {true, false, req.Terms.ReservePerPoint},
		reEnabled:    {true, true, 99},
		revoked:      {true, false, 99},
	}
	for h, wnt := range cases {
		w.read(func(v *chain.View) error {
			snap, ok, err := DeviceAt(v, dev.PubKey(), h)
			if err != nil {
				t.Fatal(err)
			}
			if ok != wnt.exists || snap.Auctionable != wnt.auctionable || snap.Terms.ReservePerPoint != wnt.reserve {
				t.Errorf("height %d: got exists=%v %+v, want %+v", h, ok, snap, wnt)
			}
			if wnt.auctionable && snap.Owner != owner.PubKey().Address().Encode(w.net.AddressHRP) {
				t.Errorf("height %d: owner %q", h, snap.Owner)
			}
			return nil
		})
	}
}
