package rpc

import (
	"testing"
	"time"
)

func benchCall(b *testing.B, ws bool) {
	ts := startServer(b, Config{}, nil)
	url := ts.url
	if ws {
		url = ts.ws
	}
	ctx := testCtx(b)
	c, err := Dial(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var sum int
	n := 0
	start := time.Now()
	for b.Loop() {
		if err := c.Call(ctx, "add", []int{1, 2}, &sum); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkCallHTTP measures sequential request/response latency over
// loopback HTTP with keep-alive, the path CLI tools and wallets use.
func BenchmarkCallHTTP(b *testing.B) { benchCall(b, false) }

// BenchmarkCallWS is the same over one WebSocket, for comparison.
func BenchmarkCallWS(b *testing.B) { benchCall(b, true) }
