package node

import (
	"testing"
	"time"
)

// TestCoalescerFoldsKicks: kick never blocks the caller (the chain's
// delivering goroutine), kicks that arrive while fn runs fold into exactly
// one more run, and close stops the goroutine.
func TestCoalescerFoldsKicks(t *testing.T) {
	started := make(chan int, 10)
	release := make(chan struct{})
	runs := 0
	c := newCoalescer(func() {
		runs++
		started <- runs
		<-release
	})
	c.kick()
	waitRun := func(want int) {
		t.Helper()
		select {
		case got := <-started:
			if got != want {
				t.Fatalf("run %d started, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d never started", want)
		}
	}
	waitRun(1)
	for i := 0; i < 100; i++ {
		c.kick() // must return although fn is blocked
	}
	release <- struct{}{}
	waitRun(2)
	release <- struct{}{}
	c.kick()
	waitRun(3)
	done := make(chan struct{})
	go func() { c.close(); close(done) }()
	close(release)
	<-done
	select {
	case n := <-started:
		t.Fatalf("unexpected run %d: 100 kicks during one run must fold into one", n)
	default:
	}
}
