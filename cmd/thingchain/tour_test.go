package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/thingchain/thingchain/consensus"
	"github.com/thingchain/thingchain/wallet"
)

// humanPause is how long the tour test waits between two commands, as a
// person reading the output and typing the next line would. It is the
// point of the test (nothing may depend on typing fast), not a way to
// synchronise: everything else waits on conditions. 10 s with
// THINGCHAIN_LONG=1 (the 10–15 s); 3 s by default, which is
// already longer than regtest's payment window (3 blocks at one block per
// second with `node --mine`), the window that used to forfeit deposits.
func humanPause() time.Duration {
	if os.Getenv("THINGCHAIN_LONG") == "1" {
		return 10 * time.Second
	}
	return 3 * time.Second
}

// TestTourBuyingAtHumanPace types the README tour's wallet and buying
// steps against a real regtest node process and a real device simulator
// process, pausing humanPause() between commands, and checks that they
// end with access keys, downloaded data, and no deposit forfeited.
func TestTourBuyingAtHumanPace(t *testing.T) {
	pause := humanPause()
	net := consensus.RegTest()
	if window := time.Duration(net.Auctions.PaymentBlocks) * time.Second; pause < window {
		t.Fatalf("the pause %s must exceed regtest's payment window %s to mean anything", pause, window)
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "n1")
	wdir := filepath.Join(t.TempDir(), "wallets")
	human := func(args ...string) string {
		t.Helper()
		time.Sleep(pause) // a person reads the last output and types the next line
		t.Logf("$ thingchain %s", strings.Join(args, " "))
		args = append(args, "--network", "regtest", "--datadir", dir)
		if args[0] == "wallet" {
			args = append(args, "--wallet-dir", wdir)
		}
		return run(t, bin, false, args...)
	}

	// ./thingchain node --network regtest --mine --datadir ./n1
	_, logs := runNode(t, bin, "node", "--network", "regtest", "--mine", "--datadir", dir, "--rpc", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	waitForLines(t, logs, 60*time.Second, "API listening")

	human("wallet", "new", "alice", "--kdf", "light")
	human("wallet", "new", "bob", "--kdf", "light")
	human("wallet", "faucet", "alice", "--amount", "100", "--wait")
	human("wallet", "send", "alice", "bob", "2.5", "--wait")
	if out := human("wallet", "balance", "bob", "--json"); !strings.Contains(out, `"balance": 250000000`) {
		t.Fatalf("bob's balance after the send: %s", out)
	}

	// ./thingchain devicesim --devices 20 --datadir ./n1 --generate (keeps running)
	time.Sleep(pause)
	sim := exec.Command(bin, "devicesim", "--devices", "20", "--datadir", dir, "--generate", "--dir", filepath.Join(t.TempDir(), "devices"))
	simOut, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Process.Kill(); sim.Wait() })
	checkedIn := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(simOut)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "simulated devices checked in") {
				close(checkedIn)
				break
			}
		}
		io.Copy(io.Discard, simOut)
	}()
	select {
	case <-checkedIn: // the person sees the summary
	case <-time.After(2 * time.Minute):
		t.Fatal("devicesim did not check its devices in within 2 minutes")
	}

	var found struct {
		Total int `json:"total"`
	}
	out := human("devices", "list", "--filter", "kind=thermostat", "--filter", "region=EU", "--json")
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		t.Fatalf("devices list: %v\n%s", err, out)
	}

	// The buying steps.
	out = human("wallet", "bid", "alice", "--filter", "kind=thermostat", "--max-price-per-point", "0.0005")
	t.Logf("wallet bid:\n%s", out)
	if !strings.Contains(out, "full deposits") || !strings.Contains(out, "bids ended") || !strings.Contains(out, "won with the key delivered") || !strings.Contains(out, "key decrypted and matches its hash") {
		t.Fatalf("wallet bid did not follow its bids to delivered keys:\n%s", out)
	}
	var mine []wallet.MyAuction
	out = human("wallet", "auctions", "alice", "--json")
	if err := json.Unmarshal([]byte(out), &mine); err != nil || len(mine) == 0 {
		t.Fatalf("wallet auctions: %v\n%s", err, out)
	}
	won := 0
	for _, m := range mine {
		if m.BidStatus == "forfeited" {
			t.Fatalf("a deposit was forfeited: %+v", m)
		}
		if m.Won {
			won++
			if m.Phase != "delivered" {
				t.Fatalf("won auction not delivered: %+v", m)
			}
		}
	}
	var ks []wallet.AccessKey
	out = human("wallet", "keys", "alice", "--json")
	if err := json.Unmarshal([]byte(out), &ks); err != nil || len(ks) != won || won == 0 {
		t.Fatalf("wallet keys (%d won): %v\n%s", won, err, out)
	}
	for _, k := range ks {
		if !k.Valid || k.Error != "" {
			t.Fatalf("unusable key: %+v", k)
		}
	}
	out = human("wallet", "fetch", "alice", ks[0].Device)
	var data map[string]any
	if err := json.Unmarshal([]byte(out), &data); err != nil || len(data) == 0 {
		t.Fatalf("wallet fetch: %v\n%s", err, out)
	}
}
