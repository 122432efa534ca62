package auction

import (
	"github.com/thingchain/thingchain/auction/auctiontx"
	"github.com/thingchain/thingchain/chain/wire/payload"
)

// The engine's names for helpers that moved to auctiontx with the
// payloads they serve.
const (
	maxBatchFormat = auctiontx.MaxBatchFormat
	maxKeyFormat   = auctiontx.MaxKeyFormat
)

func newReader(b []byte, what string) *payload.Reader { return auctiontx.NewReader(b, what) }
