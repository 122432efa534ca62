package econ

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strconv"

	"github.com/thingchain/thingchain/consensus"
)

// Report is a baseline run, the sensitivity sweep and what they show.
type Report struct {
	Baseline *Result      `json:"baseline"`
	Sweep    []AxisResult `json:"sweep,omitempty"`
	Findings Findings     `json:"findings"`
}

// Findings are the figures the report's text is written from.
type Findings struct {
	Months      int                `json:"months"`
	NetPerMonth map[string]float64 `json:"net_per_month"`
	AllGain     bool               `json:"all_parties_gain"`
	Market      MarketFindings     `json:"market"`
	// MetadataRevenuePerBlock is the metadata miners' income per metadata
	// block at the named network's spacing (THG).
	MetadataRevenuePerBlock float64 `json:"metadata_revenue_per_block"`
	MetadataCostPerBlock    float64 `json:"metadata_cost_per_block"`
	// BreakEven, per axis, is the least swept value at which every party
	// gains (absent when none does).
	BreakEven map[string]float64 `json:"break_even,omitempty"`
}

// MarketFindings describe how the auctions behaved.
type MarketFindings struct {
	Auctions     int     `json:"auctions"`
	SoldShare    float64 `json:"sold_share"`
	NoSaleShare  float64 `json:"no_sale_share"`
	Delivered    int     `json:"delivered"`
	Undelivered  int     `json:"undelivered"`
	Forfeits     int     `json:"forfeits"`
	ForfeitedTHG float64 `json:"forfeited_thg"`
	// PriceToReserve is the mean clearing price over the reserve.
	PriceToReserve float64 `json:"price_to_reserve"`
	// PriceToTopValue is the mean clearing price over the winner's value:
	// the share of the surplus the seller takes.
	PriceToTopValue float64 `json:"price_to_top_value"`
	// ReserveBinds is the share of sales priced at the reserve.
	ReserveBinds float64 `json:"reserve_binds_share"`
	// Efficient is the share of sales won by the highest-value bidder.
	Efficient float64 `json:"efficient_share"`
}

// Analyse computes the findings of a baseline and its sweep.
func Analyse(base *Result, sweep []AxisResult) Findings {
	f := Findings{Months: len(base.Rounds), NetPerMonth: map[string]float64{}, AllGain: true}
	for _, party := range Parties {
		f.NetPerMonth[party] = base.Totals.Get(party).Net / float64(f.Months)
		if f.NetPerMonth[party] < 0 {
			f.AllGain = false
		}
	}
	m := &f.Market
	var sales, binds, efficient int
	var toReserve, toTop float64
	for _, a := range base.Auctions {
		m.Auctions++
		if a.Price == 0 {
			continue
		}
		sales++
		toReserve += a.Price / a.Reserve
		if a.TopValue > 0 {
			toTop += a.Price / a.TopValue
		}
		if a.Price > a.Second {
			binds++
		}
		if a.WinnerHadTopValue {
			efficient++
		}
	}
	for _, r := range base.Rounds {
		m.Delivered += r.Delivered
		m.Undelivered += r.Undelivered
		m.Forfeits += r.Forfeits
		m.ForfeitedTHG += r.ForfeitTHG
	}
	if m.Auctions > 0 {
		m.SoldShare = float64(sales) / float64(m.Auctions)
		m.NoSaleShare = 1 - m.SoldShare
	}
	if sales > 0 {
		m.PriceToReserve = toReserve / float64(sales)
		m.PriceToTopValue = toTop / float64(sales)
		m.ReserveBinds = float64(binds) / float64(sales)
		m.Efficient = float64(efficient) / float64(sales)
	}
	named, _ := consensus.ForNetwork(base.Scenario.Network)
	perMonth := 30 * 24 * 3600 / named.Metadata.TargetSpacing.Seconds()
	f.MetadataRevenuePerBlock = base.Totals.MetadataMiners.Revenue / float64(f.Months) / perMonth
	f.MetadataCostPerBlock = base.MonthlyCost.Metadata / perMonth
	for _, ar := range sweep {
		for _, p := range sortedPoints(ar.Points) {
			ok := true
			for _, party := range Parties {
				if p.NetPerMonth[party] < 0 {
					ok = false
				}
			}
			if ok {
				if f.BreakEven == nil {
					f.BreakEven = map[string]float64{}
				}
				f.BreakEven[ar.Axis.Name] = p.Value
				break
			}
		}
	}
	return f
}

func sortedPoints(ps []Point) []Point {
	out := append([]Point(nil), ps...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Value < out[j-1].Value; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Write puts the report in dir: index.html, summary.json, CSV files of
// every series and SVG plots.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	plots := []struct {
		file string
		make func() ([]byte, error)
	}{
		{"cumulative_net.svg", func() ([]byte, error) { return plotCumulative(r.Baseline) }},
		{"flows.svg", func() ([]byte, error) { return plotFlows(r.Baseline) }},
		{"prices.svg", func() ([]byte, error) { return plotPrices(r.Baseline) }},
		{"kind_prices.svg", func() ([]byte, error) { return plotKindPrices(r.Baseline) }},
	}
	for _, ar := range r.Sweep {
		ar := ar
		plots = append(plots, struct {
			file string
			make func() ([]byte, error)
		}{"sweep_" + ar.Axis.Name + ".svg", func() ([]byte, error) { return plotAxis(ar) }})
	}
	svgs := map[string]template.HTML{}
	for _, p := range plots {
		b, err := p.make()
		if err != nil {
			return fmt.Errorf("plot %s: %w", p.file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, p.file), b, 0o644); err != nil {
			return err
		}
		svgs[p.file] = template.HTML(stripXMLHeader(b)) // our own plot output, inlined so the page stands alone
	}
	summary, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(summary, '\n'), 0o644); err != nil {
		return err
	}
	if err := r.writeCSVs(dir); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := reportPage.Execute(&page, pageData{Report: r, SVG: svgs, Parties: Parties, Labels: partyLabels}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), page.Bytes(), 0o644)
}

func stripXMLHeader(b []byte) []byte {
	if i := bytes.Index(b, []byte("<svg")); i > 0 {
		return b[i:]
	}
	return b
}

func writeCSV(path string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (r *Report) writeCSVs(dir string) error {
	b := r.Baseline
	rows := [][]string{{"round", "party", "revenue_thg", "cost_thg", "net_thg"}}
	for _, rd := range b.Rounds {
		for _, party := range Parties {
			f := rd.Flows.Get(party)
			rows = append(rows, []string{strconv.Itoa(rd.Round), party, ff(f.Revenue), ff(f.Cost), ff(f.Net)})
		}
	}
	if err := writeCSV(filepath.Join(dir, "flows.csv"), rows); err != nil {
		return err
	}
	rows = [][]string{{"round", "auctions", "sold", "no_sale", "delivered", "undelivered", "forfeits", "forfeited_thg", "tx_fees_thg", "metadata_pool_thg", "auction_blocks"}}
	for _, rd := range b.Rounds {
		rows = append(rows, []string{strconv.Itoa(rd.Round), strconv.Itoa(rd.Auctions), strconv.Itoa(rd.Sold), strconv.Itoa(rd.NoSale),
			strconv.Itoa(rd.Delivered), strconv.Itoa(rd.Undelivered), strconv.Itoa(rd.Forfeits), ff(rd.ForfeitTHG), ff(rd.FeesTHG), ff(rd.PoolTHG), strconv.Itoa(rd.Blocks)})
	}
	if err := writeCSV(filepath.Join(dir, "rounds.csv"), rows); err != nil {
		return err
	}
	rows = [][]string{{"round", "kind", "mean_price_per_point_thg"}}
	for _, rd := range b.Rounds {
		for _, k := range b.Scenario.Kinds {
			if v, ok := rd.MeanPriceByKind[k.Kind]; ok {
				rows = append(rows, []string{strconv.Itoa(rd.Round), k.Kind, ff(v)})
			}
		}
	}
	if err := writeCSV(filepath.Join(dir, "kind_prices.csv"), rows); err != nil {
		return err
	}
	rows = [][]string{{"round", "kind", "bidders", "status", "reserve_per_point", "top_value_per_point", "second_value_per_point", "price_per_point", "winner_had_top_value", "forfeits"}}
	for _, a := range b.Auctions {
		rows = append(rows, []string{strconv.Itoa(a.Round), a.Kind, strconv.Itoa(a.Bidders), a.Status, ff(a.Reserve), ff(a.TopValue), ff(a.Second), ff(a.Price),
			strconv.FormatBool(a.WinnerHadTopValue), strconv.Itoa(a.Forfeits)})
	}
	if err := writeCSV(filepath.Join(dir, "auctions.csv"), rows); err != nil {
		return err
	}
	if len(r.Sweep) == 0 {
		return nil
	}
	rows = [][]string{{"axis", "value", "party", "net_per_month_thg", "sold_share"}}
	for _, ar := range r.Sweep {
		for _, p := range sortedPoints(ar.Points) {
			for _, party := range Parties {
				rows = append(rows, []string{ar.Axis.Name, ff(p.Value), party, ff(p.NetPerMonth[party]), ff(p.SoldShare)})
			}
		}
	}
	return writeCSV(filepath.Join(dir, "sweep.csv"), rows)
}

type pageData struct {
	Report  *Report
	SVG     map[string]template.HTML
	Parties []string
	Labels  map[string]string
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"thg":     func(v float64) string { return fmt.Sprintf("%.4f", v) },
	"pct":     func(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) },
	"num":     func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) },
	"neg":     func(v float64) bool { return v < 0 },
	"flow":    func(p PartyFlows, party string) Flow { return p.Get(party) },
	"svgname": func(axis string) string { return "sweep_" + axis + ".svg" },
	"at":      func(m map[string]template.HTML, k string) template.HTML { return m[k] },
	"netAt":   func(p Point, party string) float64 { return p.NetPerMonth[party] },
	"sorted":  sortedPoints,
}).Parse(reportHTML))

const reportHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>thingchain economics: {{.Report.Baseline.Scenario.Name}}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.neg{background:#fde2e2;color:#900}.pos{color:#060}
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}code{background:#f3f3f3;padding:0 .2em}
</style></head><body>
{{$r := .Report}}{{$b := $r.Baseline}}{{$f := $r.Findings}}
<h1>Does everyone gain? thingchain's market, simulated</h1>
<p>Scenario <b>{{$b.Scenario.Name}}</b>, seed {{$b.Scenario.Seed}}: {{$f.Months}} months of auctions of
{{$f.Market.Auctions}} device-months, run through the real auction state machine (sealed bids, reveals,
second-price settlement, key delivery, the metadata miners' pool paid at anchors) with the auction shares of the
<code>{{$b.Scenario.Network}}</code> network. Amounts are in THG; 1 THG = {{$b.Scenario.EURPerTHG}} EUR for energy costs.</p>

<h2>Net gain per party</h2>
<table><tr><th>party</th><th>revenue</th><th>cost</th><th>net</th><th>net per month</th></tr>
{{range .Parties}}{{$fl := flow $b.Totals .}}<tr><td>{{index $.Labels .}}</td><td>{{thg $fl.Revenue}}</td><td>{{thg $fl.Cost}}</td>
<td class="{{if neg $fl.Net}}neg{{else}}pos{{end}}">{{thg $fl.Net}}</td><td>{{thg (index $f.NetPerMonth .)}}</td></tr>
{{end}}</table>
<p>{{if $f.AllGain}}Every party gains under these assumptions.{{else}}<b>Not every party gains</b> under these assumptions:
the red rows lose money. The sensitivity section shows which parameters change that.{{end}}
Data scientists' revenue is the value of the data they won (their private value per point × points delivered);
their cost is what left their accounts (prices, transaction fees, forfeited deposits). Owners' revenue is what reached
their accounts (prices less the protocol fee, their share of forfeits); their cost is producing the points they sold.
Miners' revenue is what reached their reward addresses; their cost is the energy of mining around the clock.</p>
<figure>{{at .SVG "cumulative_net.svg"}}</figure>
<figure>{{at .SVG "flows.svg"}}</figure>

<h2>Metadata miners</h2>
<p>Per metadata block the metadata miners earn {{num $f.MetadataRevenuePerBlock}} THG and spend {{num $f.MetadataCostPerBlock}} THG
of energy (MetadataFeePermille = {{$b.Params.MetadataFeePermille}}, ProtocolFeeMetadataPermille = {{$b.Params.ProtocolFeeMetadataPermille}}).
{{if neg (index $f.NetPerMonth "metadata_miners")}}Metadata mining does not pay at these parameters.{{else}}Metadata mining pays at these parameters.{{end}}
{{with $f.BreakEven}}{{with index . "protocol_fee_metadata_permille"}}In the sweep below, every party gains from ProtocolFeeMetadataPermille = {{.}} on.{{end}}{{end}}</p>

<h2>How the auctions behaved</h2>
<table>
<tr><td>auctions sold</td><td>{{pct $f.Market.SoldShare}}</td></tr>
<tr><td>auctions without a sale</td><td>{{pct $f.Market.NoSaleShare}}</td></tr>
<tr><td>keys delivered / missed</td><td>{{$f.Market.Delivered}} / {{$f.Market.Undelivered}}</td></tr>
<tr><td>forfeited deposits</td><td>{{$f.Market.Forfeits}} ({{thg $f.Market.ForfeitedTHG}} THG)</td></tr>
<tr><td>mean clearing price ÷ reserve</td><td>{{num $f.Market.PriceToReserve}}</td></tr>
<tr><td>mean clearing price ÷ winner's value</td><td>{{num $f.Market.PriceToTopValue}}</td></tr>
<tr><td>sales priced at the reserve</td><td>{{pct $f.Market.ReserveBinds}}</td></tr>
<tr><td>sales won by the highest-value bidder</td><td>{{pct $f.Market.Efficient}}</td></tr>
</table>
<p>Bidders bid their private value (truthful bidding is the dominant strategy of a second-price auction). A sale sits
on the diagonal (price = second-highest value), above it where the reserve binds, and below it only when a higher bidder
failed to reveal or to pay, so the price came from the next bid.</p>
<figure>{{at .SVG "prices.svg"}}</figure>
<figure>{{at .SVG "kind_prices.svg"}}</figure>

{{if $r.Sweep}}<h2>Sensitivity</h2>
<p>Each parameter varied alone around the baseline; net gain per month in THG. Red cells lose money.</p>
{{range $r.Sweep}}{{$ar := .}}<h3>{{.Axis.Label}}</h3>
<table><tr><th>{{.Axis.Name}}</th>{{range $.Parties}}<th>{{index $.Labels .}}</th>{{end}}<th>sold</th></tr>
{{range sorted .Points}}{{$p := .}}<tr><td>{{num .Value}}</td>{{range $.Parties}}{{$v := netAt $p .}}<td class="{{if neg $v}}neg{{end}}">{{thg $v}}</td>{{end}}<td>{{pct .SoldShare}}</td></tr>{{end}}
</table>
<figure>{{at $.SVG (svgname .Axis.Name)}}</figure>
{{end}}{{end}}

<h2>Assumptions</h2>
<table><tr><th>kind</th><th>devices</th><th>points / month</th><th>reserve / point</th><th>value median / point</th><th>value σ (log)</th><th>owner cost / point</th></tr>
{{range $b.Scenario.Kinds}}<tr><td>{{.Kind}}</td><td>{{.Devices}} × {{$b.Scenario.DeviceScale}}</td><td>{{.PointsPerPeriod}}</td><td>{{num .ReservePerPoint}} × {{$b.Scenario.ReserveScale}}</td><td>{{num .ValueMedian}}</td><td>{{.ValueSigma}}</td><td>{{num .OwnerCostPerPoint}}</td></tr>{{end}}
</table>
<table>
<tr><td>data scientists / bidders per device</td><td>{{$b.Scenario.Bidders}} / {{$b.Scenario.BiddersPerDevice}}</td></tr>
<tr><td>transaction fee (THG)</td><td>{{$b.Scenario.TxFee}}</td></tr>
<tr><td>chance a bidder fails to reveal / a device fails to deliver</td><td>{{$b.Scenario.RevealFailure}} / {{$b.Scenario.DeliveryFailure}}</td></tr>
<tr><td>auction miners: count, W each, hashes/s each, EUR/kWh</td><td>{{$b.Scenario.AuctionMiners.Count}}, {{$b.Scenario.AuctionMiners.PowerWatts}}, {{num $b.Scenario.AuctionMiners.HashRate}}, {{$b.Scenario.AuctionMiners.EURPerKWh}}</td></tr>
<tr><td>metadata miners: count, W each, hashes/s each, EUR/kWh</td><td>{{$b.Scenario.MetadataMiners.Count}}, {{$b.Scenario.MetadataMiners.PowerWatts}}, {{num $b.Scenario.MetadataMiners.HashRate}}, {{$b.Scenario.MetadataMiners.EURPerKWh}}</td></tr>
<tr><td>mining energy per block (auction / metadata, J)</td><td>{{num $b.EnergyPerBlock.Auction}} / {{num $b.EnergyPerBlock.Metadata}}</td></tr>
<tr><td>mining cost per month (auction / metadata, THG)</td><td>{{thg $b.MonthlyCost.Auction}} / {{thg $b.MonthlyCost.Metadata}}</td></tr>
<tr><td>parameters</td><td>ProtocolFeePermille {{$b.Params.ProtocolFeePermille}}, MetadataFeePermille {{$b.Params.MetadataFeePermille}},
ProtocolFeeMetadataPermille {{$b.Params.ProtocolFeeMetadataPermille}}, BondPermille {{$b.Params.BondPermille}}, ForfeitOwnerPermille {{$b.Params.ForfeitOwnerPermille}}</td></tr>
</table>
<h2>Invariants checked</h2>
<ul><li>coin conserved after every month (supply = balances + escrow + pool): <b>{{$b.Checks.CoinConserved}}</b></li>
<li>every owner paid exactly its delivered prices and forfeit shares, no auction paid twice: <b>{{$b.Checks.OwnersPaidOnce}}</b></li>
<li>miners and pool paid exactly the fees, protocol fees and forfeit shares: <b>{{$b.Checks.MinersPaidExactly}}</b></li></ul>
<p>Files: <code>summary.json</code>, <code>flows.csv</code>, <code>rounds.csv</code>, <code>kind_prices.csv</code>, <code>auctions.csv</code>{{if $r.Sweep}}, <code>sweep.csv</code>{{end}}, and the SVG plots.</p>
</body></html>
`
