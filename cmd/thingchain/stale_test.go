package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
)

// TestStaleNodeJSON: after a node is killed with SIGKILL its node.json
// stays behind. Commands that need the node say the file is stale and
// what to do (not "connection refused"); commands that can work on the
// stopped data directory do so — chain info, chain generate (which
// removes the stale file, as it holds the directory) and wallet balance.
func TestStaleNodeJSON(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "D")
	common := []string{"--network", "regtest", "--wallet-dir", t.TempDir(), "--datadir", dir}
	run(t, bin, false, append([]string{"wallet", "new", "alice", "--kdf", "light"}, common...)...)
	cmd, logs := runNode(t, bin, "node", "--network", "regtest", "--mine", "--datadir", dir, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	waitForLines(t, logs, 30*time.Second, "API listening")
	run(t, bin, false, append([]string{"wallet", "faucet", "alice", "--amount", "3", "--wait"}, common...)...)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, "node.json")); err != nil {
		t.Fatalf("a killed node should leave node.json behind: %v", err)
	}

	msg := run(t, bin, true, append([]string{"wallet", "send", "alice", "alice", "1"}, common...)...)
	for _, want := range []string{"stale", "node.json", "not running", "start the node again", "delete"} {
		if !strings.Contains(msg, want) {
			t.Errorf("send to a dead node: %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "connection refused") {
		t.Errorf("send to a dead node: %q", msg)
	}
	if s := chainInfoJSON(t, bin, dir); s.Auction.Height < 1 {
		t.Fatalf("chain info offline: %+v", s)
	}
	var acct api.Account
	out := run(t, bin, false, append([]string{"wallet", "balance", "alice", "--json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &acct); err != nil || acct.Balance != 3*100_000_000 {
		t.Fatalf("offline balance: %v %s", err, out)
	}
	run(t, bin, false, "chain", "generate", "1", "--chain", "auction", "--datadir", dir)
	if _, err := os.Stat(filepath.Join(dir, "node.json")); !os.IsNotExist(err) {
		t.Fatalf("chain generate should have removed the stale node.json: %v", err)
	}
	// Without node.json the message says no node runs, and how to start one.
	msg = run(t, bin, true, append([]string{"wallet", "send", "alice", "alice", "1"}, common...)...)
	if !strings.Contains(msg, "no node running") || !strings.Contains(msg, "thingchain node --datadir") {
		t.Errorf("send with no node: %q", msg)
	}
}
