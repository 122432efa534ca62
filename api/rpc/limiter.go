package rpc

import (
	"sync"
	"time"
)

// limiter is a per-key token bucket. It is hand-rolled rather than using
// golang.org/x/time/rate because we need a keyed map with eviction anyway
// and the bucket itself is a dozen lines.
type limiter struct {
	rate  float64 // tokens per second; <= 0 disables
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepThreshold bounds memory when many distinct IPs pass through.
const sweepThreshold = 4096

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// allow takes n tokens for key. n is capped at burst so that a maximal
// batch is slow rather than impossible.
func (l *limiter) allow(key string, n int) bool {
	if l.rate <= 0 {
		return true
	}
	cost := min(float64(n), l.burst)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > sweepThreshold && now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// sweep drops buckets that have refilled completely: forgetting them is
// indistinguishable from keeping them.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}

// forget drops key's bucket: per-connection buckets go when their
// connection closes.
func (l *limiter) forget(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// allow charges n calls to the caller's connection and then to its IP.
// The cookie-authenticated operator is not charged: a local process that
// floods the API must not lock the node's own CLI out.
func (s *Server) allow(p *peer, n int) bool {
	if p.admin {
		return true
	}
	if p.ws != nil {
		if !p.ws.limiter.allow("", n) {
			return false
		}
	} else if p.conn != "" && !s.connLimiter.allow(p.conn, n) {
		return false
	}
	return s.limiter.allow(p.ip, n)
}
