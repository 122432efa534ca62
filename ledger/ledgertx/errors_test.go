package ledgertx

import (
	"errors"
	"testing"

	"github.com/thingchain/thingchain/consensus"
)

// allKinds lists every ledger error kind by its constant's name.
var allKinds = map[string]consensus.ErrorKind{
	"ErrInsufficientFunds":    ErrInsufficientFunds,
	"ErrBadAuctionPayload":    ErrBadAuctionPayload,
	"ErrZeroAmount":           ErrZeroAmount,
	"ErrSelfTransfer":         ErrSelfTransfer,
	"ErrOverflow":             ErrOverflow,
	"ErrUnknownAuctionTxType": ErrUnknownAuctionTxType,
}

func TestErrorKinds(t *testing.T) {
	for name, kind := range allKinds {
		if kind.Error() != name {
			t.Errorf("%s.Error() = %q", name, kind.Error())
		}
		err := consensus.RuleErrorf(kind, "why")
		if !errors.Is(err, kind) || err.Error() != name+": why" {
			t.Errorf("%s: RuleError %q does not match its kind", name, err)
		}
		for other, ok := range allKinds {
			if other != name && errors.Is(err, ok) {
				t.Errorf("%s matches %s", name, other)
			}
		}
		var rerr consensus.RuleError
		if !errors.As(err, &rerr) || rerr.Kind != kind {
			t.Errorf("%s: errors.As lost the kind", name)
		}
	}
}
