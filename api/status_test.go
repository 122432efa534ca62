package api

import (
	"testing"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/auction"
)

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
