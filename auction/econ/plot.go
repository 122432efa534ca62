package econ

import (
	"bytes"
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// partyColors are fixed so a party has one colour in every plot.
var partyColors = map[string]color.Color{
	DataScientists: color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	DeviceOwners:   color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	AuctionMiners:  color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	MetadataMiners: color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

var partyLabels = map[string]string{
	DataScientists: "data scientists",
	DeviceOwners:   "device owners",
	AuctionMiners:  "auction miners",
	MetadataMiners: "metadata miners",
}

var kindPalette = []color.Color{
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.RGBA{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	color.RGBA{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
}

func svgOf(p *plot.Plot) ([]byte, error) {
	w, err := p.WriterTo(7*vg.Inch, 4*vg.Inch, "svg")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

func addLine(p *plot.Plot, name string, c color.Color, xys plotter.XYs, dashed bool) error {
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(1.6)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	pts.Color = c
	pts.Shape = draw.CircleGlyph{}
	pts.Radius = vg.Points(2)
	p.Add(l, pts)
	if name != "" {
		p.Legend.Add(name, l, pts)
	}
	return nil
}

func zeroLine(p *plot.Plot) {
	z := plotter.NewFunction(func(float64) float64 { return 0 })
	z.Color = color.Gray{Y: 0x40}
	z.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(z)
}

// plotCumulative draws each party's cumulative net gain over the rounds.
func plotCumulative(res *Result) ([]byte, error) {
	p := newPlot("Cumulative net gain per party", "month", "THG")
	for _, party := range Parties {
		var xys plotter.XYs
		sum := 0.0
		for _, r := range res.Rounds {
			sum += r.Flows.Get(party).Net
			xys = append(xys, plotter.XY{X: float64(r.Round), Y: sum})
		}
		if err := addLine(p, partyLabels[party], partyColors[party], xys, false); err != nil {
			return nil, err
		}
	}
	zeroLine(p)
	return svgOf(p)
}

// plotFlows draws each party's revenue, cost and net over the whole run.
func plotFlows(res *Result) ([]byte, error) {
	p := newPlot("Revenue, cost and net gain per party (whole run)", "", "THG")
	w := vg.Points(14)
	series := []struct {
		name string
		get  func(Flow) float64
		c    color.Color
	}{
		{"revenue", func(f Flow) float64 { return f.Revenue }, color.RGBA{R: 0x4c, G: 0x9b, B: 0xe8, A: 0xff}},
		{"cost", func(f Flow) float64 { return f.Cost }, color.RGBA{R: 0xe8, G: 0x8a, B: 0x4c, A: 0xff}},
		{"net", func(f Flow) float64 { return f.Net }, color.RGBA{R: 0x3a, G: 0xa6, B: 0x5a, A: 0xff}},
	}
	for i, s := range series {
		var vals plotter.Values
		for _, party := range Parties {
			vals = append(vals, s.get(res.Totals.Get(party)))
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		b.Color = s.c
		b.LineStyle.Width = 0
		b.Offset = vg.Length(i-1) * w
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	var names []string
	for _, party := range Parties {
		names = append(names, partyLabels[party])
	}
	p.NominalX(names...)
	return svgOf(p)
}

// plotPrices draws the clearing price against the second-highest value:
// truthful second-price bidding puts every sale on the diagonal or, where
// the reserve binds, above it.
func plotPrices(res *Result) ([]byte, error) {
	p := newPlot("Clearing price against the second-highest private value", "second-highest value (THG per point)", "clearing price (THG per point)")
	var atSecond, atReserve, below plotter.XYs
	maxX := 0.0
	for _, a := range res.Auctions {
		if a.Price == 0 {
			continue
		}
		pt := plotter.XY{X: a.Second, Y: a.Price}
		switch {
		case a.Price > a.Second:
			atReserve = append(atReserve, pt)
		case a.Price < a.Second:
			below = append(below, pt)
		default:
			atSecond = append(atSecond, pt)
		}
		maxX = max(maxX, a.Second, a.Price)
	}
	for _, s := range []struct {
		name string
		xys  plotter.XYs
		c    color.Color
	}{
		{"price = second-highest bid", atSecond, partyColors[DataScientists]},
		{"price = reserve (reserve binds)", atReserve, partyColors[DeviceOwners]},
		{"price below: a higher bidder did not reveal or pay", below, partyColors[MetadataMiners]},
	} {
		if len(s.xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.xys)
		if err != nil {
			return nil, err
		}
		sc.Color = s.c
		sc.Radius = vg.Points(1.8)
		p.Add(sc)
		p.Legend.Add(s.name, sc)
	}
	diag := plotter.NewFunction(func(x float64) float64 { return x })
	diag.Color = color.Gray{Y: 0x60}
	diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(diag)
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max, p.Y.Max = maxX*1.05, maxX*1.05
	return svgOf(p)
}

// plotKindPrices draws each kind's mean clearing price per month.
func plotKindPrices(res *Result) ([]byte, error) {
	p := newPlot("Mean clearing price per device kind", "month", "THG per point")
	for i, k := range res.Scenario.Kinds {
		var xys plotter.XYs
		for _, r := range res.Rounds {
			if v, ok := r.MeanPriceByKind[k.Kind]; ok {
				xys = append(xys, plotter.XY{X: float64(r.Round), Y: v})
			}
		}
		if len(xys) == 0 {
			continue
		}
		if err := addLine(p, k.Kind, kindPalette[i%len(kindPalette)], xys, false); err != nil {
			return nil, err
		}
		res := k.ReservePerPoint * res.Scenario.ReserveScale
		ref := plotter.XYs{{X: xys[0].X, Y: res}, {X: xys[len(xys)-1].X, Y: res}}
		if err := addLine(p, "", kindPalette[i%len(kindPalette)], ref, true); err != nil {
			return nil, err
		}
	}
	p.Y.Min = 0
	return svgOf(p)
}

// plotAxis draws every party's net gain per month along one sweep axis.
func plotAxis(ar AxisResult) ([]byte, error) {
	p := newPlot(fmt.Sprintf("Net gain per month vs %s", ar.Axis.Name), ar.Axis.Label, "THG per month")
	for _, party := range Parties {
		var xys plotter.XYs
		for _, pt := range ar.Points {
			xys = append(xys, plotter.XY{X: pt.Value, Y: pt.NetPerMonth[party]})
		}
		slices.SortFunc(xys, func(a, b plotter.XY) int {
			switch {
			case a.X < b.X:
				return -1
			case a.X > b.X:
				return 1
			}
			return 0
		})
		if err := addLine(p, partyLabels[party], partyColors[party], xys, false); err != nil {
			return nil, err
		}
	}
	zeroLine(p)
	return svgOf(p)
}
