package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/thingchain/thingchain/api"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/ledger"
)

// run executes the binary with THINGCHAIN_PASSWORD set and returns stdout;
// it fails the test on a non-zero exit unless wantErr.
func run(t *testing.T, bin string, wantErr bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "THINGCHAIN_PASSWORD=correct horse")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if (err != nil) != wantErr {
		t.Fatalf("thingchain %v: err=%v\nstdout: %s\nstderr: %s", args, err, out, stderr.String())
	}
	if wantErr {
		return stderr.String()
	}
	return string(out)
}

func balance(t *testing.T, bin string, common []string, who string) api.Account {
	t.Helper()
	var acct api.Account
	out := run(t, bin, false, append([]string{"wallet", "balance", who, "--json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &acct); err != nil {
		t.Fatalf("balance output: %v\n%s", err, out)
	}
	return acct
}

// TestWalletSendEndToEnd is the accounts issue's acceptance check on a real
// regtest node process: two wallets, one funded from the faucet, a send, a
// mined block: both balances move by exactly the amount and the fee, the
// miner earns the fee, and a restart changes nothing.
func TestWalletSendEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "node")
	wdir := filepath.Join(t.TempDir(), "wallets")
	cmd, logs := runNode(t, bin, "node", "--network", "regtest", "--datadir", dir, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	waitForLines(t, logs, 30*time.Second, "API listening")
	common := []string{"--network", "regtest", "--wallet-dir", wdir, "--datadir", dir}

	run(t, bin, false, append([]string{"wallet", "new", "alice", "--kdf", "light"}, common...)...)
	run(t, bin, false, append([]string{"wallet", "new", "bob", "--kdf", "light"}, common...)...)
	run(t, bin, false, append([]string{"wallet", "faucet", "alice", "--amount", "100"}, common...)...)
	run(t, bin, false, "chain", "generate", "1", "--chain", "auction", "--datadir", dir)
	if a := balance(t, bin, common, "alice"); a.Balance != 100*ledger.Coin {
		t.Fatalf("alice after faucet: %+v", a)
	}
	var info struct {
		Reward string `json:"reward"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "node.json"))
	json.Unmarshal(b, &info)
	minerBefore := balance(t, bin, common, info.Reward).Balance

	out := run(t, bin, false, append([]string{"wallet", "send", "alice", "bob", "30", "--fee", "0.001", "--json"}, common...)...)
	if !strings.Contains(out, `"status": "pending"`) {
		t.Fatalf("send output: %s", out)
	}
	run(t, bin, false, "chain", "generate", "1", "--chain", "auction", "--datadir", dir)
	fee := uint64(ledger.Coin / 1000)
	alice, bob := balance(t, bin, common, "alice"), balance(t, bin, common, "bob")
	if alice.Balance != 70*ledger.Coin-fee || alice.Nonce != 1 {
		t.Fatalf("alice after send: %+v", alice)
	}
	if bob.Balance != 30*ledger.Coin {
		t.Fatalf("bob after send: %+v", bob)
	}
	// The auction miner keeps the fee less the metadata miners' share,
	// which waits in the pool until an auction block anchors new metadata
	// blocks (none are mined here).
	metaShare := fee * consensus.RegTest().Auctions.MetadataFeePermille / 1000
	if got := balance(t, bin, common, info.Reward).Balance - minerBefore; got != fee-metaShare {
		t.Fatalf("miner earned %d, want the fee %d less the metadata share %d", got, fee, metaShare)
	}
	hist := run(t, bin, false, append([]string{"wallet", "history", "bob", "--json"}, common...)...)
	if !strings.Contains(hist, `"direction": "in"`) {
		t.Fatalf("bob's history lacks the transfer: %s", hist)
	}

	// Errors a user can make, each with a clear message.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"wallet", "send", "alice", "bob", "1000000"}, "ErrInsufficientFunds"},
		{[]string{"wallet", "send", "alice", "carol", "1"}, "neither an address"},
		{[]string{"wallet", "send", "alice", "bob", "1.123456789"}, "below one base unit"},
		{[]string{"wallet", "send", "alice", testnetAddress(t), "1"}, "prefix"},
	} {
		if msg := run(t, bin, true, append(tc.args, common...)...); !strings.Contains(msg, tc.want) {
			t.Errorf("%v: error %q does not mention %q", tc.args, msg, tc.want)
		}
	}
	wrongPw := exec.Command(bin, append([]string{"wallet", "send", "alice", "bob", "1"}, common...)...)
	wrongPw.Env = append(os.Environ(), "THINGCHAIN_PASSWORD=wrong")
	if out, err := wrongPw.CombinedOutput(); err == nil || !strings.Contains(string(out), "wrong password") {
		t.Errorf("wrong password: %v %s", err, out)
	}

	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node exit: %v", err)
	}
	cmd, logs = runNode(t, bin, "node", "--datadir", dir, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	waitForLines(t, logs, 30*time.Second, "API listening")
	if a, b := balance(t, bin, common, "alice"), balance(t, bin, common, "bob"); a != alice || b != bob {
		t.Fatalf("balances changed across restart: %+v %+v", a, b)
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
}

// testnetAddress is a valid address of another network than regtest.
func testnetAddress(t *testing.T) string {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.PubKey().Address().Encode("tct")
}
