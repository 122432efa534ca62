package node

import "sync"

// coalescer runs fn on its own goroutine whenever kick is called, at most
// once at a time, folding kicks that arrive while fn runs into one more
// run. Chain subscribers use it to do slow or cross-chain work off the
// chain's delivering goroutine (chain.Subscribe): kick never blocks.
type coalescer struct {
	kicks chan struct{}
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once
}

func newCoalescer(fn func()) *coalescer {
	c := &coalescer{kicks: make(chan struct{}, 1), stop: make(chan struct{})}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		for {
			select {
			case <-c.stop:
				return
			case <-c.kicks:
				fn()
			}
		}
	}()
	return c
}

// kick asks for one run of fn after now.
func (c *coalescer) kick() {
	select {
	case c.kicks <- struct{}{}:
	default: // a run is already due; it will see this change too
	}
}

// close stops the goroutine, waiting for a run in progress to finish.
func (c *coalescer) close() {
	c.once.Do(func() { close(c.stop) })
	c.done.Wait()
}
