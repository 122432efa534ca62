package consensus

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestMedianTime(t *testing.T) {
	cases := []struct {
		name  string
		times []int64
		want  int64
	}{
		{"nil", nil, 0},
		{"empty", []int64{}, 0},
		{"one", []int64{42}, 42},
		{"two: upper middle", []int64{10, 20}, 20},
		{"odd sorted", []int64{1, 3, 5}, 3},
		{"odd unsorted", []int64{5, 1, 3}, 3},
		{"even unsorted: upper middle", []int64{4, 1, 3, 2}, 3},
		{"newest first", []int64{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 6},
		{"duplicates", []int64{7, 7, 1, 7, 9}, 7},
		{"negative", []int64{-5, -1, -3}, -3},
		{"extremes", []int64{math.MaxInt64, math.MinInt64, 0}, 0},
		{"full window shuffled", []int64{1000, 1005, 999, 1010, 1003, 998, 1001, 1007, 1002, 1004, 1006}, 1003},
	}
	for _, c := range cases {
		in := slices.Clone(c.times)
		if got := MedianTime(in); got != c.want {
			t.Errorf("%s: MedianTime(%v) = %d, want %d", c.name, c.times, got, c.want)
		}
		if !slices.Equal(in, c.times) {
			t.Errorf("%s: MedianTime reordered its argument: %v", c.name, in)
		}
	}
	if MedianTimeBlocks != 11 {
		t.Errorf("MedianTimeBlocks = %d, want 11", MedianTimeBlocks)
	}
}

func TestCheckTimestamp(t *testing.T) {
	for _, net := range []*Params{MainNet(), TestNet(), RegTest()} {
		for _, p := range []*ChainParams{&net.Metadata, &net.Auction} {
			const mtp = int64(1_800_000_000_000)
			now := mtp + 60_000
			drift := p.MaxFutureDrift.Milliseconds()
			if drift <= 0 {
				t.Fatalf("%s/%s: MaxFutureDrift %s", net.Name, p.Kind, p.MaxFutureDrift)
			}
			cases := []struct {
				name string
				ts   int64
				want error
			}{
				{"equal to MTP", mtp, ErrTimeTooOld},
				{"below MTP", mtp - 1, ErrTimeTooOld},
				{"far below MTP", math.MinInt64, ErrTimeTooOld},
				{"MTP+1", mtp + 1, nil},
				{"now", now, nil},
				{"now+drift", now + drift, nil},
				{"now+drift+1", now + drift + 1, ErrTimeTooNew},
				{"far future", math.MaxInt64 / 2, ErrTimeTooNew},
			}
			for _, c := range cases {
				err := CheckTimestamp(p, c.ts, mtp, now)
				if c.want == nil {
					if err != nil {
						t.Errorf("%s/%s %s: unexpected %v", net.Name, p.Kind, c.name, err)
					}
					continue
				}
				var re RuleError
				if !errors.Is(err, c.want) || !errors.As(err, &re) || re.Kind != c.want {
					t.Errorf("%s/%s %s: got %v, want %v", net.Name, p.Kind, c.name, err, c.want)
				}
			}
		}
	}
	// Too old wins when both rules fail (MTP ahead of the local clock).
	p := RegTest().Metadata
	if err := CheckTimestamp(&p, 10_000_000, 10_000_000, 0); !errors.Is(err, ErrTimeTooOld) {
		t.Errorf("both rules broken: %v, want ErrTimeTooOld", err)
	}
}
