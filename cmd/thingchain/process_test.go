package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles thingchain once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "thingchain")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitForLines reads r until every wanted substring has appeared on some
// line, or the deadline passes.
func waitForLines(t *testing.T, r io.Reader, timeout time.Duration, wanted ...string) {
	t.Helper()
	found := make(chan struct{})
	var mu sync.Mutex
	var seen []string
	go func() {
		pending := append([]string(nil), wanted...)
		sc := bufio.NewScanner(r)
		for len(pending) > 0 && sc.Scan() {
			line := sc.Text()
			mu.Lock()
			seen = append(seen, line)
			mu.Unlock()
			for i := 0; i < len(pending); i++ {
				if strings.Contains(line, pending[i]) {
					pending = append(pending[:i], pending[i+1:]...)
					i--
				}
			}
		}
		if len(pending) == 0 {
			close(found)
		}
		io.Copy(io.Discard, r)
	}()
	select {
	case <-found:
	case <-time.After(timeout):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("timed out waiting for %q in the node's log:\n%s", wanted, strings.Join(seen, "\n"))
	}
}

func runNode(t *testing.T, bin string, args ...string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stderr
}

func chainInfoJSON(t *testing.T, bin, dir string) chainSummary {
	t.Helper()
	out, err := exec.Command(bin, "chain", "info", "--datadir", dir, "--json").Output()
	if err != nil {
		t.Fatalf("chain info: %v", err)
	}
	var s chainSummary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("chain info output is not JSON: %v\n%s", err, out)
	}
	return s
}

// TestNodeMinesAndRestartsAtSameTips is the first acceptance check of the
// node issue, with a real process and real signals.
func TestNodeMinesAndRestartsAtSameTips(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "D")
	cmd, logs := runNode(t, bin, "node", "--network", "regtest", "--mine", "--datadir", dir, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	waitForLines(t, logs, 60*time.Second, `msg="mined block" chain=metadata height=2`, `msg="mined block" chain=auction height=2`)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node did not exit cleanly on SIGINT: %v", err)
	}
	before := chainInfoJSON(t, bin, dir)
	if before.Network != "regtest" || before.Metadata.Height < 2 || before.Auction.Height < 2 {
		t.Fatalf("after mining: %+v", before)
	}

	cmd, logs = runNode(t, bin, "node", "--datadir", dir, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	waitForLines(t, logs, 30*time.Second, "node started")
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node did not exit cleanly on SIGTERM: %v", err)
	}
	after := chainInfoJSON(t, bin, dir)
	if after.Metadata.Hash != before.Metadata.Hash || after.Auction.Hash != before.Auction.Hash {
		t.Fatalf("tips changed across restart:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestCLIErrorsAreClear(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "D")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"chain", "info", "--datadir", dir}, "no data directory at"},
		{[]string{"node", "--network", "moon", "--datadir", dir}, `unknown network "moon"`},
		{[]string{"chain", "generate", "--datadir", dir}, "needs 1 argument"},
		{[]string{"chain", "generate", "ten", "--datadir", dir}, "whole number"},
		{[]string{"chain", "generate", "1", "--chain", "sidechain", "--datadir", dir}, `unknown chain "sidechain"`},
		{[]string{"--log-level", "loud", "node", "--datadir", dir}, "--log-level"},
		{[]string{"testnet", "--nodes", "0"}, "--nodes must be"},
	}
	for _, tc := range cases {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, tc.args...)
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil {
			t.Errorf("%v: succeeded, want an error", tc.args)
			continue
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr %q does not mention %q", tc.args, stderr.String(), tc.want)
		}
	}
}

func TestGenerateOnRegtestOnly(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "T")
	if out, err := exec.Command(bin, "chain", "generate", "3", "--chain", "metadata", "--datadir", dir, "--network", "regtest", "--json").Output(); err != nil {
		t.Fatalf("generate on a new regtest dir: %v %s", err, out)
	}
	s := chainInfoJSON(t, bin, dir)
	if s.Metadata.Height != 3 || s.Auction.Height != 0 {
		t.Fatalf("after generating 3 metadata blocks: %+v", s)
	}
	testDir := filepath.Join(t.TempDir(), "X")
	os.MkdirAll(testDir, 0o700)
	os.WriteFile(filepath.Join(testDir, "network"), []byte("test\n"), 0o644)
	out, err := exec.Command(bin, "chain", "generate", "1", "--datadir", testDir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "regtest only") {
		t.Fatalf("generate on test network: err=%v out=%s", err, out)
	}
}

// TestKillNineRestartsConsistent kills a mining node with SIGKILL several
// times at arbitrary moments; each restart must open both chains (chain.Open
// verifies the stored state against the tip's state root) and keep mining
// from where the previous run's committed tip was.
func TestKillNineRestartsConsistent(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "D")
	lastMeta, lastAuction := uint64(0), uint64(0)
	for round := 0; round < 3; round++ {
		cmd, logs := runNode(t, bin, "node", "--network", "regtest", "--mine", "--datadir", dir, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
		waitForLines(t, logs, 60*time.Second, "node started", `msg="mined block" chain=auction`)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		s := chainInfoJSON(t, bin, dir)
		if s.Metadata.Height < lastMeta || s.Auction.Height <= lastAuction {
			t.Fatalf("round %d: tips went backwards or did not advance: metadata %d (was %d), auction %d (was %d)",
				round, s.Metadata.Height, lastMeta, s.Auction.Height, lastAuction)
		}
		lastMeta, lastAuction = s.Metadata.Height, s.Auction.Height
	}
}

// TestTestnetComesUp runs `thingchain testnet` as a user would (only the
// summary interval is shortened) and waits for every node to show both
// chains past genesis, within the 30 seconds the issue allows.
func TestTestnetComesUp(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "testnet", "--summary-every", "1s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	advanced := make(chan struct{})
	firstLine := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		heights := map[string][2]int{}
		for sc.Scan() {
			select {
			case firstLine <- sc.Text():
			default:
			}
			f := strings.Fields(sc.Text())
			// summary rows: nodeN metaHeight metaTip auctionHeight auctionTip peers mempool
			if len(f) == 7 && strings.HasPrefix(f[0], "node") {
				var m, a int
				fmt.Sscan(f[1], &m)
				fmt.Sscan(f[3], &a)
				heights[f[0]] = [2]int{m, a}
				ok := len(heights) == 3
				for _, h := range heights {
					ok = ok && h[0] > 0 && h[1] > 0
				}
				if ok {
					close(advanced)
					io.Copy(io.Discard, stdout)
					return
				}
			}
		}
	}()
	select {
	case <-advanced:
	case <-time.After(30 * time.Second):
		t.Fatal("testnet did not show both chains advancing on all 3 nodes within 30 s")
	}
	// The first line is the web marketplace's address, and it serves the
	// page with its Content-Security-Policy.
	line := <-firstLine
	url, ok := strings.CutPrefix(line, "web marketplace: open ")
	if !ok {
		t.Fatalf("the testnet's first line is %q, want the web marketplace's URL", line)
	}
	url = strings.TrimSuffix(url, " in a browser")
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<div id="root">`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET %s: %s, CSP %q, body %.200s", url, resp.Status, resp.Header.Get("Content-Security-Policy"), page)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("testnet did not stop cleanly: %v", err)
	}
}

// TestTestnetMarketStory runs the README's story on a fast regtest
// testnet: simulated devices check in, simulated bidders bid, auctions
// settle, devices deliver keys and bidders fetch data with them — the
// live summary must show data fetched with won keys and nothing refused.
func TestTestnetMarketStory(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "testnet", "--network", "regtest", "--devices", "4", "--bidders", "2", "--bid-every", "1s", "--summary-every", "1s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	fetched := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			var keysN, fetchedN, refusedN int
			if i := strings.Index(line, "keys delivered "); i >= 0 {
				fmt.Sscanf(line[i:], "keys delivered %d, data fetched %d (refused %d)", &keysN, &fetchedN, &refusedN)
				if fetchedN > 0 {
					fetched <- line
					io.Copy(io.Discard, stdout)
					return
				}
			}
		}
	}()
	select {
	case line := <-fetched:
		if !strings.Contains(line, "(refused 0)") {
			t.Fatalf("a device refused a won key: %s", line)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the testnet did not show data fetched with a won access key within 90 s")
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("testnet did not stop cleanly: %v", err)
	}
}
