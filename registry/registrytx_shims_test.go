package registry

import "github.com/thingchain/thingchain/registry/registrytx"

// Names this package's tests used before the client-side code moved to
// registrytx.
var allErrorKinds = registrytx.ErrorKinds()

const maxJSONDepth = registrytx.MaxJSONDepth

func compactJSON(b []byte) []byte { return registrytx.CompactJSON(b) }

// compactLen is the length of b's compacted form, or len(b) if b is not
// JSON (CompactJSON then returns b unchanged).
func compactLen(b []byte) int { return len(registrytx.CompactJSON(b)) }
