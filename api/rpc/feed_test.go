package rpc

import (
	"context"
	"encoding/json"
	"testing"
)

func TestFeed(t *testing.T) {
	var f Feed[int]
	a, cancelA := f.Subscribe(2)
	b, cancelB := f.Subscribe(8)
	for i := range 5 {
		f.Send(i) // never blocks, even though a fills after 2
	}
	if f.Len() != 2 {
		t.Fatalf("Len %d", f.Len())
	}
	if got := f.Dropped(); got != 3 {
		t.Fatalf("Dropped %d, want 3 (a missed 2,3,4)", got)
	}
	if v := <-a; v != 0 {
		t.Fatalf("a got %d first", v)
	}
	for i := range 5 {
		if v := <-b; v != i {
			t.Fatalf("b got %d, want %d", v, i)
		}
	}
	cancelA()
	cancelA() // idempotent
	if <-a; f.Len() != 1 {
		t.Fatalf("Len after cancel %d", f.Len())
	}
	if _, ok := <-a; ok {
		t.Fatal("cancelled channel still open")
	}
	f.Send(9) // must not panic on the closed channel
	if v := <-b; v != 9 {
		t.Fatalf("b got %d", v)
	}
	cancelB()
	f.Send(10)
}

func TestFeedSubscriber(t *testing.T) {
	var f Feed[int]
	sub := FeedSubscriber(&f, 4, func(v int) any { return v * 10 })
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan any, 4)
	done := make(chan error, 1)
	go func() {
		done <- sub(ctx, json.RawMessage(`[]`), func(v any) error { got <- v; return nil })
	}()
	// Send until the subscriber has attached; a Feed drops values for
	// nobody, so we cannot send just once.
	for f.Len() == 0 {
		select {
		case err := <-done:
			t.Fatalf("subscriber returned early: %v", err)
		default:
		}
		f.Send(0)
	}
	f.Send(1)
	for {
		if v := recv(t, got, "forwarded value"); v == 10 {
			break
		}
	}
	cancel()
	if err := recv(t, done, "subscriber exit"); err != nil {
		t.Fatal(err)
	}
	if f.Len() != 0 {
		t.Fatal("subscriber did not release its feed subscription")
	}
}
