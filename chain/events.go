package chain

import (
	"sync"
)

// eventHandOff delivers a chain's events to its subscribers in Seq order.
// Events are numbered and parked here under the chain lock as the main
// chain changes (finishEvent), so the parked events are always exactly
// those not yet delivered, in the order the chain changed. After
// releasing the chain lock, the goroutine that made them calls deliver,
// which runs the subscribers for every parked event in Seq order (its own
// and any made before them by other goroutines) and returns once its own
// are delivered. Two goroutines that changed the chain one after the other
// therefore cannot deliver out of order however the scheduler interleaves
// them, and an event is never lost even if its producer were to skip
// deliver: the next delivery flushes it. Lock order: the chain lock, then
// mu; mu is never held while subscribers run.
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

// park queues an event for delivery. Called by finishEvent with c.mu
// held, right after numbering it.
func (h *eventHandOff) park(ev Event) {
	h.mu.Lock()
	h.parked[ev.Seq] = ev
	h.mu.Unlock()
}

// deliver runs the subscribers for every parked event up to the last of
// events (which finishEvent numbered and parked), in Seq order, and returns
// once all of them have been delivered, by this goroutine or another.
// Called without c.mu held.
func (c *Chain) deliver(events []Event) {
	if len(events) == 0 {
		return
	}
	var last uint64
	for _, ev := range events {
		last = max(last, ev.Seq)
	}
	h := &c.events
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.next <= last {
		ev, ready := h.parked[h.next]
		if h.delivering || !ready {
			// Another goroutine is running the subscribers (it will
			// deliver ours too, or we will after it). An event never
			// parked cannot happen: numbering and parking are one step
			// under the chain lock.
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
