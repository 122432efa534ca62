package rpc

import (
	"sync"
	"sync/atomic"
)

// Feed fans values out to subscribers without ever blocking the sender: a
// subscriber whose buffer is full misses the value (counted in Dropped), so
// a slow API client cannot slow block processing.
type Feed[T any] struct {
	mu      sync.Mutex
	subs    map[chan T]struct{}
	dropped atomic.Uint64
}

// Subscribe returns a channel of future values and a cancel function.
func (f *Feed[T]) Subscribe(buffer int) (<-chan T, func()) {
	ch := make(chan T, buffer)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan T]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, ch)
			f.mu.Unlock()
		})
	}
}

// Send delivers v to every subscriber with room for it.
func (f *Feed[T]) Send(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- v:
		default:
			f.dropped.Add(1)
		}
	}
}

// Dropped counts values subscribers missed because they were full.
func (f *Feed[T]) Dropped() uint64 { return f.dropped.Load() }
