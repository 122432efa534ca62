package chain

import (
	"sync"
)

// eventHandOff delivers a chain's events to its subscribers in Seq order.
// Events are numbered under the chain lock as the main chain changes
// (finishEvent), and handed here after that lock is released; an event
// whose predecessors have not arrived yet is parked until they do, so two
// goroutines that changed the chain one after the other cannot deliver
// out of order however the scheduler interleaves them.
type eventHandOff struct {
	mu         sync.Mutex
	cond       sync.Cond
	subs       []func(Event) // copy-on-write: a delivery reads a snapshot
	next       uint64        // Seq of the next event to deliver
	parked     map[uint64]Event
	delivering bool // a goroutine is running the subscribers now
}

func (h *eventHandOff) init() {
	h.cond.L = &h.mu
	h.next = 1
	h.parked = map[uint64]Event{}
}

// Subscribe registers fn to be called after every main-chain change.
//
// The contract, which the code keeps (TestConcurrentProcessBlockAcceptsOnce,
// TestConcurrentOrphansAcceptOnce):
//   - Events arrive in Seq order, each exactly once, to every subscriber
//     registered before it was delivered; Applied blocks across events
//     therefore arrive in the order the main chain took them.
//   - Delivery is synchronous and one event at a time: all subscribers run
//     for event n, one after another, before any runs for event n+1, and
//     the call that changed the chain (ProcessBlock, Reconsider) returns
//     only after every subscriber has returned for its events. So when
//     ProcessBlock returns, a mempool or index following the chain
//     already reflects the new tip.
//   - Subscribers run outside the chain lock and may read the chain
//     (Tip, ViewState, ApplyOnTip…). They must not process blocks on, or
//     Reconsider, the same chain (that waits on its own delivery and
//     deadlocks), and anything slow, or that changes another chain,
//     belongs on the subscriber's own goroutine: a slow subscriber
//     delays every block this chain processes.
func (c *Chain) Subscribe(fn func(Event)) {
	h := &c.events
	h.mu.Lock()
	subs := make([]func(Event), len(h.subs), len(h.subs)+1)
	copy(subs, h.subs)
	h.subs = append(subs, fn)
	h.mu.Unlock()
}

// deliver hands events (numbered by finishEvent, in any interleaving with
// other producers' events) to the subscribers in Seq order, and returns
// once all of them have been delivered, by this goroutine or another.
// Called without c.mu held.
func (c *Chain) deliver(events []Event) {
	if len(events) == 0 {
		return
	}
	h := &c.events
	h.mu.Lock()
	defer h.mu.Unlock()
	var last uint64
	for _, ev := range events {
		h.parked[ev.Seq] = ev
		last = max(last, ev.Seq)
	}
	for h.next <= last {
		ev, ready := h.parked[h.next]
		if h.delivering || !ready {
			// Another goroutine is delivering, or an earlier event is
			// still on its way from the goroutine that made it.
			h.cond.Wait()
			continue
		}
		delete(h.parked, h.next)
		h.delivering = true
		subs := h.subs
		h.mu.Unlock()
		for _, fn := range subs {
			fn(ev)
		}
		h.mu.Lock()
		h.next++
		h.delivering = false
		h.cond.Broadcast()
	}
}
