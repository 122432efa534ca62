package rpc

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Feed fans values out to in-process subscribers without ever blocking the
// sender: a subscriber whose buffer is full misses the value (counted in
// Dropped), so a slow API client cannot slow block processing. The zero
// value is ready to use.
type Feed[T any] struct {
	mu      sync.Mutex
	subs    map[chan T]struct{}
	dropped atomic.Uint64
}

// Subscribe returns a channel of values sent from now on, buffered to
// buffer (minimum 1), and a cancel func that closes it. cancel is
// idempotent.
func (f *Feed[T]) Subscribe(buffer int) (<-chan T, func()) {
	ch := make(chan T, max(buffer, 1))
	f.mu.Lock()
	if f.subs == nil {
		f.subs = make(map[chan T]struct{})
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			// Closing under mu guarantees Send never writes to a closed
			// channel.
			f.mu.Lock()
			delete(f.subs, ch)
			close(ch)
			f.mu.Unlock()
		})
	}
}

// Send delivers v to every subscriber with room for it. Its signature is
// func(T) so it can be handed directly to producers' callbacks.
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

// Dropped counts values subscribers missed because their buffer was full.
func (f *Feed[T]) Dropped() uint64 { return f.dropped.Load() }

// Len is the number of current subscribers.
func (f *Feed[T]) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// FeedSubscriber adapts a Feed into a Subscriber that forwards every value
// as a notification; convert, if non-nil, maps a value to its wire form.
func FeedSubscriber[T any](f *Feed[T], buffer int, convert func(T) any) Subscriber {
	return func(ctx context.Context, _ json.RawMessage, notify func(any) error) error {
		ch, cancel := f.Subscribe(buffer)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return nil
			case v := <-ch:
				var out any = v
				if convert != nil {
					out = convert(v)
				}
				if err := notify(out); err != nil {
					return err
				}
			}
		}
	}
}
