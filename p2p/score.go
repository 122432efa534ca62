package p2p

import (
	"math"
	"sync"
	"time"
)

// Ban-score penalties, one per offence (see the table in doc.go). A peer
// whose score reaches BanThreshold is disconnected and refused for
// Config.BanDuration.
const (
	PenaltyInvalidBlock   = 100 // block or header breaks a consensus rule
	PenaltyMalformed      = 50  // gossip or sync bytes that do not decode
	PenaltyOversized      = 50  // over a size or count limit
	PenaltyUnknownMessage = 20  // unknown or unexpected sync message type
	PenaltyUnprovenWork   = 20  // claimed more work than its headers show
	PenaltyInvalidTx      = 10  // transaction fails its sanity checks
	PenaltyUnsolicited    = 1   // block we did not ask for or already have (transient)
	BanThreshold          = 100

	// transientHalfLife is how fast the transient part of a score decays.
	transientHalfLife = 60 * time.Second
)

// banScore is dcrd's DynamicBanScore: a persistent part that never decays
// and a transient part that halves every transientHalfLife, so a burst of
// minor offences fades while a steady stream of them still bans.
type banScore struct {
	mu         sync.Mutex
	persistent float64
	transient  float64
	last       time.Time
}

func (s *banScore) decayedLocked(now time.Time) float64 {
	if s.last.IsZero() || !now.After(s.last) {
		return s.transient
	}
	dt := now.Sub(s.last).Seconds()
	return s.transient * math.Pow(0.5, dt/transientHalfLife.Seconds())
}

// add records an offence and returns the new total.
func (s *banScore) add(persistent, transient float64, now time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transient = s.decayedLocked(now) + transient
	s.last = now
	s.persistent += persistent
	return s.persistent + s.transient
}

// value is the current total.
func (s *banScore) value(now time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.persistent + s.decayedLocked(now)
}
