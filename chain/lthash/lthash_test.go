package lthash

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestOrderIndependentAndInvertible(t *testing.T) {
	elems := make([][]byte, 50)
	for i := range elems {
		elems[i] = []byte(fmt.Sprintf("element-%d", i))
	}
	var a, b Hash
	for _, e := range elems {
		a.Add(e)
	}
	perm := rand.New(rand.NewPCG(1, 2)).Perm(len(elems))
	for _, i := range perm {
		b.Add(elems[i])
	}
	if !a.Equal(&b) || a.Sum() != b.Sum() {
		t.Fatal("insertion order changed the hash")
	}
	before := a.Sum()
	a.Add([]byte("extra"))
	if a.Sum() == before {
		t.Fatal("adding an element did not change the hash")
	}
	a.Remove([]byte("extra"))
	if a.Sum() != before {
		t.Fatal("remove did not undo add")
	}
	var empty Hash
	for _, e := range elems {
		a.Remove(e)
	}
	if !a.Equal(&empty) {
		t.Fatal("removing every element did not give the empty hash")
	}
}

func TestDistinctSetsDiffer(t *testing.T) {
	var a, b Hash
	a.Add([]byte("x"))
	b.Add([]byte("y"))
	if a.Sum() == b.Sum() {
		t.Fatal("different sets share a digest")
	}
	var c Hash
	c.Add([]byte("x"))
	c.Add([]byte("x"))
	if c.Sum() == a.Sum() {
		t.Fatal("multiset with x twice equals set with x once")
	}
}

func TestBytesRoundTrip(t *testing.T) {
	var a Hash
	a.Add([]byte("hello"))
	b, err := FromBytes(a.Bytes())
	if err != nil || !b.Equal(&a) {
		t.Fatalf("round trip failed: %v", err)
	}
	if _, err := FromBytes(make([]byte, Size-1)); err == nil {
		t.Fatal("short encoding accepted")
	}
}

func TestCombine(t *testing.T) {
	var a, b, both Hash
	a.Add([]byte("1"))
	b.Add([]byte("2"))
	both.Add([]byte("1"))
	both.Add([]byte("2"))
	a.Combine(&b)
	if !a.Equal(&both) {
		t.Fatal("combine is not set union")
	}
}

func BenchmarkAdd(b *testing.B) {
	var h Hash
	elem := make([]byte, 80)
	for i := 0; b.Loop(); i++ {
		elem[0] = byte(i)
		h.Add(elem)
	}
}
