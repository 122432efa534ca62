package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchJSON runs `thingchain bench` on a 2-node local network of real
// node processes for 10 s and checks that the report's figures are
// present and plausible: transfers and bids confirmed, latencies ordered,
// each node's CPU and memory measured.
func TestBenchJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	profiles := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "--log-level", "warn", "bench", "--nodes", "2", "--duration", "10s",
		"--rate", "200", "--accounts", "20", "--devices", "3", "--bidders", "2", "--json", "--profile", profiles)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("bench --json printed no JSON object: %v\n%s", err, out)
	}
	for _, f := range []string{"confirmed_tx_per_s", "bids_per_s", "confirm_p50_ms", "confirm_p95_ms", "confirm_p99_ms",
		"bid_to_key_p50_s", "bid_to_key_p95_s", "node_stats", "checkins_per_s", "auctions_settled_per_min", "verify_sigs_per_s_all_cores", "ratio_to_verify_share",
		"node_cpu_us_per_tx", "verify_cpu_us_per_sig", "verify_share_of_node_cpu"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("report lacks %q", f)
		}
	}
	var r benchReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.Nodes != 2 || !r.LocalProcesses || r.Network != "regtest" {
		t.Errorf("nodes %d, local %v, network %q; want 2 local regtest nodes", r.Nodes, r.LocalProcesses, r.Network)
	}
	if r.ConfirmedTx <= 0 || r.ConfirmedTxPerS <= 0 || r.ConfirmedTx > r.SubmittedTx+int64(r.Accounts) {
		t.Errorf("confirmed %d (%.1f/s) of %d submitted: want some, and no more than submitted", r.ConfirmedTx, r.ConfirmedTxPerS, r.SubmittedTx)
	}
	// 200/s for 10 s: a twentieth of the target at least, even on a
	// loaded machine, and never more than the target.
	if r.SubmittedTx < 100 || r.SubmittedTx > 2000+100 {
		t.Errorf("submitted %d transfers at --rate 200 for 10 s", r.SubmittedTx)
	}
	if !(r.ConfirmP50Ms > 0 && r.ConfirmP50Ms <= r.ConfirmP95Ms && r.ConfirmP95Ms <= r.ConfirmP99Ms && r.ConfirmP99Ms < 60_000) {
		t.Errorf("confirm latency p50 %.1f, p95 %.1f, p99 %.1f ms: want 0 < p50 ≤ p95 ≤ p99 < 60 s", r.ConfirmP50Ms, r.ConfirmP95Ms, r.ConfirmP99Ms)
	}
	if r.Bids <= 0 || r.BidsPerS <= 0 || r.BidTxs <= 0 || r.BidTxs > r.Bids {
		t.Errorf("bids %d in %d transactions (%.2f/s): want some, batched", r.Bids, r.BidTxs, r.BidsPerS)
	}
	if r.Devices != 3 || r.DeviceCheckInS <= 0 || r.CheckInsPerS <= 0 {
		t.Errorf("%d devices checked in in %.1f s (%.2f/s): want 3, timed", r.Devices, r.DeviceCheckInS, r.CheckInsPerS)
	}
	// A key received in the window is for an auction that settled in it.
	if r.KeysDelivered > 0 && r.AuctionsSettled == 0 {
		t.Errorf("%d keys delivered but no auction settled", r.KeysDelivered)
	}
	if r.BidToKeyP50S != nil && (*r.BidToKeyP50S <= 0 || *r.BidToKeyP95S < *r.BidToKeyP50S) {
		t.Errorf("bid to key p50 %v s, p95 %v s", *r.BidToKeyP50S, *r.BidToKeyP95S)
	}
	if r.VerifySigsPerS <= 0 || r.RatioToVerifyShare <= 0 {
		t.Errorf("verify rate %.0f/s, ratio %.2f: want both measured", r.VerifySigsPerS, r.RatioToVerifyShare)
	}
	// Each node verifies each transaction once at least, so its CPU per
	// transaction exceeds a verification's.
	if r.VerifyCPUUsPerSig <= 0 || r.NodeCPUUsPerTx <= r.VerifyCPUUsPerSig/2 || r.VerifyShareOfNodeCPU <= 0 {
		t.Errorf("node CPU %.0f µs per tx, verification %.0f µs: want both measured, the first larger", r.NodeCPUUsPerTx, r.VerifyCPUUsPerSig)
	}
	for _, name := range []string{"node0", "node1", "bench"} {
		if fi, err := os.Stat(filepath.Join(profiles, name+".cpu.pprof")); err != nil || fi.Size() == 0 {
			t.Errorf("--profile: %s's CPU profile: %v", name, err)
		}
	}
	if len(r.NodeStats) != 2 {
		t.Fatalf("node stats for %d nodes, want 2", len(r.NodeStats))
	}
	for _, s := range r.NodeStats {
		if !s.Measured || s.PID <= 0 || s.RSSMiB <= 0 || s.CPUPercent <= 0 || s.PeakRSSMiB < s.RSSMiB {
			t.Errorf("node %s: %+v: want CPU and memory measured", s.Name, s)
		}
	}
	if !strings.Contains(stderr.String(), "confirmed") {
		t.Errorf("no progress lines on stderr:\n%s", stderr.String())
	}
}

// TestBenchFlagErrors: bad arguments are refused before anything starts,
// with a message naming the flag.
func TestBenchFlagErrors(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nodes", "0"}, "--nodes"},
		{[]string{"--nodes", "2", "--miners", "3"}, "--miners"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--rate", "-1"}, "--rate"},
		{[]string{"--network", "main"}, "--network"},
		{[]string{"--node", "127.0.0.1:1"}, "API URL"},
		{[]string{"--bid-via", "node9"}, "--bid-via"},
		{[]string{"--profile", filepath.Join(notADir, "profiles")}, "--profile"},
	} {
		app := newApp()
		var out strings.Builder
		app.Writer, app.ErrWriter = &out, &out
		err := app.Run(append([]string{"thingchain", "bench"}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %v: err %v, want one naming %q", tc.args, err, tc.want)
		}
	}
}

// TestQuantilesNearestRank holds latencies.quantiles to the nearest-rank
// definition.
func TestQuantilesNearestRank(t *testing.T) {
	var l latencies
	if q, n := l.quantiles(0.5); n != 0 || q[0] != 0 {
		t.Fatalf("empty: %v %d", q, n)
	}
	for i := 100; i >= 1; i-- {
		l.add(time.Duration(i) * time.Millisecond)
	}
	q, n := l.quantiles(0.5, 0.95, 0.99, 1)
	want := []time.Duration{50 * time.Millisecond, 95 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond}
	if n != 100 {
		t.Fatalf("n = %d", n)
	}
	for i := range want {
		if q[i] != want[i] {
			t.Errorf("quantile %d = %v, want %v", i, q[i], want[i])
		}
	}
}

// TestReadProcSelf: this process's CPU time and RSS are read from /proc.
func TestReadProcSelf(t *testing.T) {
	a := readProc(0)
	if !a.ok {
		t.Skip("no /proc")
	}
	x := 0
	for i := range 20_000_000 {
		x += i % 7
	}
	b := readProc(0)
	if b.rssKiB <= 0 || b.peakKiB < b.rssKiB || b.cpu < a.cpu || cpuPercent(a, b) < 0 || x == 0 {
		t.Errorf("samples %+v then %+v", a, b)
	}
}

// TestPprofLoopbackOnly: the node's --pprof serves profiles on loopback
// and refuses any other address.
func TestPprofLoopbackOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:6060", "example.com:6060", "6060"} {
		if _, err := servePprof(ctx, addr, log); err == nil || !strings.Contains(err.Error(), "--pprof") {
			t.Errorf("--pprof %s: %v, want refused", addr, err)
		}
	}
	at, err := servePprof(ctx, "127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + at + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("profile: HTTP %d %.100s", res.StatusCode, body)
	}
}
