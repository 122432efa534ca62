package registry

import (
	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// maxHistory bounds a device record's status history. The auction chain
// asks about anchors a few blocks deep; a device whose owner toggled it
// more often than this since an anchor is answered conservatively (not
// auctionable at that anchor).
const maxHistory = 16

// StatusAt is a device's owner-controlled status from a height on.
type StatusAt struct {
	Height  uint64 `json:"height"`
	Enabled bool   `json:"enabled"`
	Owner   string `json:"owner"`
	Terms   Terms  `json:"terms"`
}

// putDevice stores a record, first noting in its history the status it
// has from height on (one entry per height: the block's last change wins).
func putDevice(v *chain.View, d *Device, key keys.PubKey, height uint64) {
	now := StatusAt{Height: height, Enabled: d.Enabled, Owner: d.Owner, Terms: d.Terms}
	last := len(d.History) - 1
	switch {
	case last >= 0 && d.History[last].Height == height:
		d.History[last] = now
	case last >= 0 && sameStatus(d.History[last], now):
	default:
		d.History = append(d.History, now)
		if len(d.History) > maxHistory {
			d.History = append(d.History[:0:0], d.History[len(d.History)-maxHistory:]...)
			d.HistoryTruncated = true
		}
	}
	v.Put(DeviceKey(key), EncodeDevice(d))
}

func sameStatus(a, b StatusAt) bool {
	return a.Enabled == b.Enabled && a.Owner == b.Owner && a.Terms == b.Terms
}

// Snapshot is a device as the metadata state had it right after a block:
// what the auction chain's anchor rule needs.
type Snapshot struct {
	Owner string // bech32m address; "" if never enabled by then
	Terms Terms
	// Auctionable: attested by then, enabled by its owner then, and its
	// OEM admitted and not revoked then.
	Auctionable bool
}

// DeviceAt answers for the block at height h of this state's chain,
// using the record's history and the OEM's membership heights; ok is
// false when the device had not been attested by then. It is exact for
// every height of the main chain up to the state's tip, which is what
// makes the auction chain's anchor rule deterministic.
func DeviceAt(v *chain.View, device keys.PubKey, h uint64) (snap Snapshot, ok bool, err error) {
	rec, err := GetDevice(v, device)
	if err != nil || rec == nil || rec.AttestedHeight > h {
		return Snapshot{}, false, err
	}
	var st *StatusAt
	for i := len(rec.History) - 1; i >= 0; i-- {
		if rec.History[i].Height <= h {
			st = &rec.History[i]
			break
		}
	}
	if st == nil {
		return Snapshot{}, true, nil // attested, never enabled by h (or beyond the kept history)
	}
	snap = Snapshot{Owner: st.Owner, Terms: st.Terms}
	if !st.Enabled {
		return snap, true, nil
	}
	oemKey, err := rec.OEMKey()
	if err != nil {
		return snap, true, consensus.AssertError("registry: device record with bad OEM key: " + err.Error())
	}
	oem, err := GetOEM(v, oemKey)
	if err != nil {
		return snap, true, err
	}
	snap.Auctionable = oem != nil && oem.AdmittedHeight <= h && (!oem.Revoked || oem.RevokedHeight > h)
	return snap, true, nil
}
