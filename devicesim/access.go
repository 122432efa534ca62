package devicesim

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/thingchain/thingchain/api/apitypes"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
)

// ChainAccess is the AccessChecker of auction winners. A request proves
// access with
//
//	Authorization: Bearer <auction ID hex>.<access key hex>
//
// and is served when the auction (read with auction.get) is of this
// device, has a key delivery, SHA-256(key) equals the delivery's key hash
// and the time is within [delivery.time, delivery.expires). A missing or
// malformed header is ErrAccessRequired (401); a wrong key, another
// device's auction, an auction without delivery or a time outside the
// access period is ErrAccessDenied (403) with the reason.
//
// Auction reads are cached for CacheTTL (a delivery, once on chain, for
// DeliveredTTL) so that a data client does not cost a node call per
// request. Safe for concurrent use.
type ChainAccess struct {
	Client Caller
	// LocalKey, when set, returns the key the device itself generated for
	// an auction: a token whose key differs is refused without asking the
	// node.
	LocalKey func(device keys.PubKey, auction wire.Hash) ([]byte, bool)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// CacheTTL bounds how long an auction read is reused (default 5 s);
	// DeliveredTTL applies once the delivery is known (default 1 min).
	CacheTTL, DeliveredTTL time.Duration
	// Timeout bounds one node call (default 5 s).
	Timeout time.Duration

	mu    sync.Mutex
	cache map[wire.Hash]cachedAuction
}

type cachedAuction struct {
	a       *apitypes.AuctionView // nil: unknown auction
	fetched time.Time
}

// maxCachedAuctions bounds the cache (forged tokens name random IDs).
const maxCachedAuctions = 4096

var _ AccessChecker = (*ChainAccess)(nil)

// AccessToken is the bearer token proving access to a device's data: the
// auction ID and the access key, in hex, joined by a dot.
func AccessToken(auction wire.Hash, key []byte) string {
	return auction.String() + "." + hex.EncodeToString(key)
}

// ParseAccessToken splits a bearer token into auction ID and key.
func ParseAccessToken(tok string) (wire.Hash, []byte, error) {
	idHex, keyHex, ok := strings.Cut(strings.TrimSpace(tok), ".")
	if !ok {
		return wire.Hash{}, nil, errors.New("the token must be <auction ID hex>.<access key hex>")
	}
	var id wire.Hash
	if err := id.UnmarshalText([]byte(idHex)); err != nil {
		return wire.Hash{}, nil, fmt.Errorf("auction ID: %w", err)
	}
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		return wire.Hash{}, nil, fmt.Errorf("access key: not hex: %w", err)
	}
	if len(key) != accessKeySize {
		return wire.Hash{}, nil, fmt.Errorf("access key: %d bytes, want %d", len(key), accessKeySize)
	}
	return id, key, nil
}

// bearer extracts the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrAccessRequired
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", fmt.Errorf("%w: the Authorization header must be \"Bearer <auction ID hex>.<access key hex>\"", ErrAccessRequired)
	}
	return strings.TrimSpace(tok), nil
}

func (c *ChainAccess) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// errForged is the answer to every token whose key does not open the
// named auction of this device.
var errForged = fmt.Errorf("%w: forged or wrong key", ErrAccessDenied)

// CheckAccess implements AccessChecker.
func (c *ChainAccess) CheckAccess(r *http.Request, device keys.PubKey) error {
	tok, err := bearer(r)
	if err != nil {
		return err
	}
	id, key, err := ParseAccessToken(tok)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAccessRequired, err)
	}
	hash := sha256.Sum256(key)
	if c.LocalKey != nil {
		if own, ok := c.LocalKey(device, id); ok {
			ownHash := sha256.Sum256(own)
			if subtle.ConstantTimeCompare(hash[:], ownHash[:]) != 1 {
				return errForged
			}
		}
	}
	ctx := r.Context()
	a, err := c.auction(ctx, id)
	if err != nil {
		// The node is unreachable: the request may be fine, but cannot
		// be checked. Ask the client to retry.
		return fmt.Errorf("%w: cannot check the key now (%v); retry later", ErrAccessRequired, err)
	}
	if a == nil {
		return errForged
	}
	if a.Device != device.String() {
		return errForged
	}
	d := a.Delivery
	if d == nil {
		return fmt.Errorf("%w: no access key was delivered for auction %s yet (status %s)", ErrAccessDenied, id, a.Status)
	}
	if subtle.ConstantTimeCompare(hash[:], d.KeyHash[:]) != 1 {
		return errForged
	}
	now := c.now().UnixMilli()
	switch {
	case now < d.Time:
		return fmt.Errorf("%w: access period starts at %s", ErrAccessDenied, msTime(d.Time))
	case now >= d.Expires:
		return fmt.Errorf("%w: access period ended at %s", ErrAccessDenied, msTime(d.Expires))
	}
	return nil
}

func msTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

// auction reads an auction through the cache.
func (c *ChainAccess) auction(ctx context.Context, id wire.Hash) (*apitypes.AuctionView, error) {
	ttl, dttl := c.CacheTTL, c.DeliveredTTL
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	if dttl <= 0 {
		dttl = time.Minute
	}
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.cache[id]; ok {
		age := now.Sub(e.fetched)
		if age < ttl || (e.a != nil && e.a.Delivery != nil && age < dttl) {
			c.mu.Unlock()
			return e.a, nil
		}
	}
	c.mu.Unlock()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	a, err := getAuction(ctx, c.Client, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = map[wire.Hash]cachedAuction{}
	}
	if len(c.cache) >= maxCachedAuctions {
		for k, e := range c.cache {
			if now.Sub(e.fetched) >= ttl && (e.a == nil || e.a.Delivery == nil || now.Sub(e.fetched) >= dttl) {
				delete(c.cache, k)
			}
		}
		if len(c.cache) >= maxCachedAuctions {
			clear(c.cache)
		}
	}
	c.cache[id] = cachedAuction{a: a, fetched: now}
	return a, nil
}
