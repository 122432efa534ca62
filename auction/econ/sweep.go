package econ

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Axis is one parameter the sensitivity sweep varies, with the values it
// tries; Apply sets one value on a copy of the base scenario.
type Axis struct {
	Name   string                       `json:"name"`
	Label  string                       `json:"label"`
	Values []float64                    `json:"values"`
	Apply  func(s *Scenario, v float64) `json:"-"`
}

// Point is one run of the sweep: the axis value and every party's net
// gain per month (THG), with the share of auctions that sold.
type Point struct {
	Value       float64            `json:"value"`
	NetPerMonth map[string]float64 `json:"net_per_month"`
	SoldShare   float64            `json:"sold_share"`
}

// AxisResult is one axis of the sweep.
type AxisResult struct {
	Axis   Axis    `json:"axis"`
	Points []Point `json:"points"`
	// Negative lists, per party, the axis values at which its net gain per
	// month is negative.
	Negative map[string][]float64 `json:"negative"`
}

func permilleAxis(name, label string, values []float64, set func(p *ParamScenario, v uint64)) Axis {
	return Axis{Name: name, Label: label, Values: values, Apply: func(s *Scenario, v float64) { set(&s.Params, uint64(v)) }}
}

// Axes are the sweep's parameters: the four auction shares (the protocol
// fee, the metadata miners' share of transaction fees and of protocol
// fees, the bond), the reserve prices, bidders per device and the device
// count.
func Axes(quick bool) []Axis {
	axes := []Axis{
		permilleAxis("protocol_fee_permille", "ProtocolFeePermille (miner's cut of a delivered price, ‰)", []float64{0, 10, 20, 50, 100, 200},
			func(p *ParamScenario, v uint64) { p.ProtocolFeePermille = ptr(v) }),
		permilleAxis("metadata_fee_permille", "MetadataFeePermille (metadata miners' share of transaction fees, ‰)", []float64{0, 200, 500, 1000},
			func(p *ParamScenario, v uint64) { p.MetadataFeePermille = ptr(v) }),
		permilleAxis("protocol_fee_metadata_permille", "ProtocolFeeMetadataPermille (metadata miners' share of protocol fees, ‰)", []float64{0, 100, 250, 500, 750},
			func(p *ParamScenario, v uint64) { p.ProtocolFeeMetadataPermille = ptr(v) }),
		{Name: "bond_permille", Label: "BondPermille (bond-only bids: the deposit, ‰ of the bid)", Values: []float64{50, 100, 200, 500},
			Apply: func(s *Scenario, v float64) { s.BondOnly = true; s.Params.BondPermille = ptr(uint64(v)) }},
		{Name: "reserve_scale", Label: "reserve price (× the kinds' defaults)", Values: []float64{0.25, 0.5, 1, 2, 4},
			Apply: func(s *Scenario, v float64) { s.ReserveScale = v }},
		{Name: "bidders_per_device", Label: "bidders per device", Values: []float64{1, 2, 4, 8},
			Apply: func(s *Scenario, v float64) { s.BiddersPerDevice = int(v); s.Bidders = max(s.Bidders, int(v)) }},
		{Name: "device_scale", Label: "device count (× the baseline)", Values: []float64{0.1, 0.25, 0.5, 1, 2},
			Apply: func(s *Scenario, v float64) { s.DeviceScale *= v }},
	}
	if quick {
		for i := range axes {
			v := axes[i].Values
			axes[i].Values = []float64{v[0], v[len(v)/2], v[len(v)-1]}
		}
	}
	return axes
}

// Sweep runs base once per value of every axis, on up to workers
// goroutines (0: one per core), and reports each party's net gain per
// month. progress receives one line per finished run.
func Sweep(ctx context.Context, base Scenario, axes []Axis, workers int, progress func(string)) ([]AxisResult, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if progress == nil {
		progress = func(string) {}
	}
	type job struct{ axis, point int }
	var jobs []job
	out := make([]AxisResult, len(axes))
	for i, a := range axes {
		out[i] = AxisResult{Axis: a, Points: make([]Point, len(a.Values)), Negative: map[string][]float64{}}
		for j := range a.Values {
			jobs = append(jobs, job{i, j})
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	next := make(chan job)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range next {
				a := axes[jb.axis]
				s := base
				s.Kinds = append([]KindScenario(nil), base.Kinds...)
				v := a.Values[jb.point]
				a.Apply(&s, v)
				s.Name = fmt.Sprintf("%s=%g", a.Name, v)
				res, err := Run(ctx, s, "", nil)
				mu.Lock()
				done++
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("sweep %s: %w", s.Name, err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				out[jb.axis].Points[jb.point] = pointOf(res, v)
				progress(fmt.Sprintf("sweep %d/%d: %s", done, len(jobs), s.Name))
				mu.Unlock()
			}
		}()
	}
	for _, jb := range jobs {
		select {
		case next <- jb:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for i := range out {
		for _, p := range out[i].Points {
			for _, party := range Parties {
				if p.NetPerMonth[party] < 0 {
					out[i].Negative[party] = append(out[i].Negative[party], p.Value)
				}
			}
		}
	}
	return out, nil
}

func pointOf(res *Result, v float64) Point {
	p := Point{Value: v, NetPerMonth: map[string]float64{}}
	months := float64(len(res.Rounds))
	for _, party := range Parties {
		p.NetPerMonth[party] = res.Totals.Get(party).Net / months
	}
	var sold, all int
	for _, r := range res.Rounds {
		sold += r.Sold
		all += r.Auctions
	}
	if all > 0 {
		p.SoldShare = float64(sold) / float64(all)
	}
	return p
}

// SweepBase is the scenario each sweep run starts from: the baseline with
// fewer months (the sweep compares monthly averages, which settle within
// a few months), so the full sweep fits in minutes on two cores.
func SweepBase(s Scenario, quick bool) Scenario {
	if quick {
		s.Rounds = min(s.Rounds, 2)
	} else {
		s.Rounds = min(s.Rounds, 4)
	}
	return s
}
