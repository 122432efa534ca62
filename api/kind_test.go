package api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
	"github.com/thingchain/thingchain/auction"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/mempool"
)

// TestWithKind: rule and pool-policy refusals leave the server with their
// kind in error.data; other errors pass unchanged.
func TestWithKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind string
	}{
		{consensus.RuleErrorf(consensus.ErrBadNonce, "nonce 3 was already used"), "ErrBadNonce"},
		{fmt.Errorf("tx abc: %w", consensus.RuleErrorf(consensus.ErrBadNonce, "x")), "ErrBadNonce"},
		{mempool.PolicyError{Kind: mempool.ErrReplacementUnderpriced, Description: "pay 10% more"}, "ErrReplacementUnderpriced"},
		{errors.New("disk on fire"), ""},
	} {
		out := withKind(tc.err)
		var e *rpc.Error
		if !errors.As(out, &e) {
			if tc.kind != "" {
				t.Fatalf("%v: no rpc.Error", tc.err)
			}
			if out != tc.err {
				t.Fatalf("%v changed to %v", tc.err, out)
			}
			continue
		}
		d, ok := e.Data.(apitypes.ErrorData)
		if !ok || d.Kind != tc.kind || e.Code != rpc.CodeApplication || e.Message != tc.err.Error() {
			t.Fatalf("%v: %+v", tc.err, e)
		}
	}
}

// TestStatusNames: the API's status constants are the engine's names.
func TestStatusNames(t *testing.T) {
	for s, want := range map[auction.Status]apitypes.AuctionStatus{
		auction.StatusOpen: apitypes.StatusOpen, auction.StatusAwaitingPayment: apitypes.StatusAwaitingPayment,
		auction.StatusPaid: apitypes.StatusPaid, auction.StatusDelivered: apitypes.StatusDelivered,
		auction.StatusNoSale: apitypes.StatusNoSale, auction.StatusUndelivered: apitypes.StatusUndelivered,
	} {
		if s.String() != string(want) {
			t.Errorf("auction status %d is %q, apitypes says %q", s, s, want)
		}
	}
	for s, want := range map[auction.BidStatus]apitypes.BidStatus{
		auction.BidSealed: apitypes.BidSealed, auction.BidRevealed: apitypes.BidRevealed, auction.BidRefunded: apitypes.BidRefunded,
		auction.BidForfeited: apitypes.BidForfeited, auction.BidWon: apitypes.BidWon,
	} {
		if s.String() != string(want) {
			t.Errorf("bid status %d is %q, apitypes says %q", s, s, want)
		}
	}
	for _, s := range []auction.Status{0, 7} {
		if _, ok := map[string]bool{"open": true, "awaiting_payment": true, "awaiting_delivery": true, "delivered": true, "no_sale": true, "undelivered": true}[s.String()]; ok {
			t.Errorf("status %d has a name: the table above misses a status", s)
		}
	}
}
