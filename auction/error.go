package auction

import (
	"fmt"

	"github.com/thingchain/thingchain/chain"
)

// ErrAnchorPending is wrapped by the (plain, non-rule) error returned when
// a block anchors a metadata block this node does not have, has only on a
// side branch of its metadata chain, or has on its main chain but not yet
// k blocks deep. The block is not at fault: it wraps chain.ErrPending, so
// the engine stores it unmarked, penalises nobody, and connects it once the
// metadata chain has caught up (docs/consensus.md).
var ErrAnchorPending = fmt.Errorf("auction: anchored metadata block not yet on this node's metadata main chain, k deep: %w", chain.ErrPending)
