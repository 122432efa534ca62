package p2p

import (
	"math"
	"sync"
	"time"
)

// Penalties for misbehaviour; BanThreshold bans.
const (
	PenaltyInvalidBlock   = 100
	PenaltyMalformed      = 50
	PenaltyOversized      = 50
	PenaltyUnknownMessage = 20
	PenaltyInvalidTx      = 10
	BanThreshold          = 100
	transientHalfLife     = 60 * time.Second
)

// banScore is dcrd's DynamicBanScore: a persistent part that never decays
// and a transient part that halves every transientHalfLife.
type banScore struct {
	mu         sync.Mutex
	persistent float64
	transient  float64
	last       time.Time
}

func (s *banScore) decayed(now time.Time) float64 {
	if s.last.IsZero() {
		return s.transient
	}
	dt := now.Sub(s.last).Seconds()
	return s.transient * math.Pow(0.5, dt/transientHalfLife.Seconds())
}

// add records an offence and returns the new total.
func (s *banScore) add(persistent, transient float64, now time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transient = s.decayed(now) + transient
	s.last = now
	s.persistent += persistent
	return s.persistent + s.transient
}

func (s *banScore) value(now time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.persistent + s.decayed(now)
}
