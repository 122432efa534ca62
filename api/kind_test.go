package api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/api/rpc"
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
