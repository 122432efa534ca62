package chain

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

const crashDirEnv = "THINGCHAIN_CHAIN_CRASH_DIR"

// crashUser is a fixed key so every incarnation of the crash child sends
// transactions from the same account, with nonces read from state.
func crashUser(t testing.TB) *keys.PrivateKey {
	seed := make([]byte, 32)
	seed[31] = 7
	k, err := keys.PrivateKeyFromBytes(seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mineOneWithTx extends h's tip with one block carrying a kv tx from the
// crash user, resuming the user's nonce and the clock from the chain.
func mineOneWithTx(h *harness, user *keys.PrivateKey) *wire.Block {
	h.t.Helper()
	if tip := time.UnixMilli(h.c.Tip().Time); h.clock.Before(tip) {
		h.clock = tip
	}
	nonce := uint64(0)
	pk := user.PubKey()
	if v, ok := h.state("nonce/" + string(pk[:])); ok {
		nonce = binary.BigEndian.Uint64([]byte(v))
	}
	height := h.c.Tip().Height + 1
	return h.mine(signTx(h.c, user, txSet, nonce, 1, fmt.Sprintf("h%d=%d", height, height)))
}

// TestHelperProcess is the crash child: it opens the chain in the
// directory named by the environment and mines until it is killed,
// printing "mined <height> <hash>" after each block is processed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("crash child; run by TestCrashRecovery")
	}
	h := newHarnessDir(t, consensus.RegTest(), dir)
	user := crashUser(t)
	for i := 0; i < 100_000; i++ {
		blk := mineOneWithTx(h, user)
		fmt.Printf("mined %d %s\n", blk.Header.Height, blk.Hash())
	}
	t.Fatal("crash child was never killed")
}

// TestCrashRecovery kills a mining process with SIGKILL (no Close, no
// flush) several times at arbitrary points, and after each kill reopens
// the data directory: Open must succeed (it checks the stored state
// against the tip's state root), every reported block must be there, the
// state must match a replay of the chain, and mining must continue.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	reported := map[uint64]wire.Hash{}
	var last uint64
	for round := 0; round < 3; round++ {
		target := last + 25 + uint64(round)*7
		killChildAt(t, "TestHelperProcess", crashDirEnv, dir, "mined", target, reported, &last, round)

		h := newHarnessDir(t, consensus.RegTest(), dir)
		tip := h.c.Tip()
		if tip.Height < last {
			t.Fatalf("round %d: tip %d after the crash, child had reported %d", round, tip.Height, last)
		}
		for height, hash := range reported {
			got, err := h.c.HashAtHeight(height)
			if err != nil || got != hash {
				t.Fatalf("round %d: block %d is %s (%v), child reported %s", round, height, got, err, hash)
			}
		}
		for height := uint64(1); height <= tip.Height; height++ {
			mustEqual(t, fmt.Sprintf("kv/h%d", height), mustState(t, h, fmt.Sprintf("kv/h%d", height)), fmt.Sprint(height))
		}
		// The recovered state is exactly a replay of the recovered chain.
		replay := newHarness(t, consensus.RegTest())
		replay.clock = time.UnixMilli(tip.Time)
		for height := uint64(1); height <= tip.Height; height++ {
			blk, err := h.c.BlockByHeight(height)
			if err != nil {
				t.Fatal(err)
			}
			feed(t, replay.c, blk)
		}
		sameChain(t, fmt.Sprintf("round %d: recovered vs replay", round), h.c, replay.c)
		replay.close()
		next := mineOneWithTx(h, crashUser(t))
		mustEqual(t, "height after resuming", next.Header.Height, tip.Height+1)
		last = next.Header.Height
		reported[last] = next.Hash()
		h.close()
	}
}

// TestOpenFinishesInterruptedReorg simulates a crash in the middle of a
// reorganisation: the heavier branch is stored, the old branch has been
// disconnected and only the first new block connected (each step is its
// own committed transaction) when the process dies. Open must finish the
// switch.
func TestOpenFinishesInterruptedReorg(t *testing.T) {
	net := consensus.RegTest()
	a, b := newHarness(t, net), newHarness(t, net)
	user, _ := newKey(t)
	a.mine(signTx(a.c, user, txSet, 0, 0, "side=A"))
	a.mine()
	var branchB []*wire.Block
	for i := 0; i < 3; i++ {
		branchB = append(branchB, b.mine(signTx(b.c, user, txSet, uint64(i), 0, fmt.Sprintf("side=B%d", i))))
	}
	syncClocks(a, b)
	feed(t, a.c, branchB[:2]...) // equal work: stored on a side branch
	// Store the third block the way acceptBlock does before activating it.
	last := branchB[2]
	a.c.mu.Lock()
	n := newBlockNode(&last.Header, a.c.index[last.Header.PrevHash])
	n.status |= statusHaveData
	err := a.c.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(blockKey(n.hash), last.Encode()); err != nil {
			return err
		}
		return txn.Set(headerKey(n.hash), encodeHeaderRecord(&n.header, n.status))
	})
	if err == nil {
		a.c.index[n.hash] = n
		// The crash: two disconnects and one connect done, then nothing.
		for i := 0; i < 2 && err == nil; i++ {
			_, err = a.c.disconnectTip()
		}
		if err == nil {
			_, err = a.c.connectBlock(a.c.index[branchB[0].Hash()])
		}
	}
	a.c.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "tip at the crash", a.c.Tip().Hash, branchB[0].Hash())
	a.reopen()
	sameChain(t, "after Open finished the reorg", a.c, b.c)
	if _, ok := a.state("kv/side"); !ok {
		t.Fatal("state missing")
	}
	mustEqual(t, "state of the winning branch", mustState(t, a, "kv/side"), "B2")
}

// openNoPanic opens the chain in dir and turns a panic into a test
// failure, so corrupted stores are reported instead of crashing the run.
func openNoPanic(t *testing.T, cfg Config) (c *Chain, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Open panicked on a damaged store: %v", r)
		}
	}()
	return Open(cfg)
}

// TestOpenDamagedStore damages a closed chain's store in the ways a disk
// or an operator can, and requires Open to fail with a clear error (or,
// where Badger itself recovers, to open a consistent chain), never to
// panic or to start on an inconsistent state.
func TestOpenDamagedStore(t *testing.T) {
	build := func(t *testing.T) *harness {
		h := newHarness(t, consensus.RegTest())
		user, _ := newKey(t)
		for i := 0; i < 5; i++ {
			h.mine(signTx(h.c, user, txSet, uint64(i), 1, fmt.Sprintf("k%d=v", i)))
		}
		h.close()
		return h
	}
	tamper := func(t *testing.T, h *harness, fn func(txn *badger.Txn) error) {
		db, err := openBadger(h.dir, DefaultStoreOptions(), discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	cfgFor := func(h *harness) Config {
		cfg := h.config
		cfg.Dir = h.dir
		return cfg
	}
	for _, tc := range []struct {
		name string
		fn   func(txn *badger.Txn) error
		want string // in the error
	}{
		{"tip points nowhere", func(txn *badger.Txn) error {
			h := wire.DoubleSHA256([]byte("nowhere"))
			return txn.Set(keyTip, h[:])
		}, "not in the block index"},
		{"tip pointer missing", func(txn *badger.Txn) error { return txn.Delete(keyTip) }, "tip pointer"},
		{"state commitment altered", func(txn *badger.Txn) error {
			v, err := getValue(txn, keyCommitment)
			if err != nil {
				return err
			}
			v[0] ^= 1
			return txn.Set(keyCommitment, v)
		}, "does not match the tip's state root"},
		{"state commitment truncated", func(txn *badger.Txn) error {
			v, err := getValue(txn, keyCommitment)
			if err != nil {
				return err
			}
			return txn.Set(keyCommitment, v[:len(v)/2])
		}, ""},
		{"block index record garbage", func(txn *badger.Txn) error {
			return txn.Set(headerKey(wire.DoubleSHA256([]byte("x"))), []byte("garbage"))
		}, "block index record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := build(t)
			tamper(t, h, tc.fn)
			c, err := openNoPanic(t, cfgFor(h))
			if err == nil {
				c.Close()
				t.Fatal("Open accepted a damaged store")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}

	t.Run("other network", func(t *testing.T) {
		h := build(t)
		cfg := cfgFor(h)
		cfg.Net = consensus.TestNet()
		c, err := openNoPanic(t, cfg)
		if err == nil {
			c.Close()
			t.Fatal("regtest store opened as testnet")
		}
		if !strings.Contains(err.Error(), "genesis") {
			t.Fatalf("unclear error: %v", err)
		}
	})

	// Truncated files: Badger either refuses to open or recovers to a
	// consistent earlier state; the chain must never panic, and if it opens,
	// its state must match its tip (Open checks) and it must keep working.
	files := func(t *testing.T, h *harness) []string {
		entries, err := os.ReadDir(h.dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Size() > 0 && e.Name() != "LOCK" {
				out = append(out, e.Name())
			}
		}
		return out
	}
	probe := build(t)
	for _, name := range files(t, probe) {
		for _, keep := range []string{"half", "empty"} {
			t.Run("truncated "+name+" to "+keep, func(t *testing.T) {
				if strings.HasSuffix(name, ".sst") {
					// Badger v4.9.6 panics in a goroutine of its own
					// (table.OpenTable via newLevelsController) on a
					// truncated table, which no caller can recover; a
					// damaged .sst takes the process down instead of
					// returning an error. Nothing this package can fix.
					t.Skip("badger panics on truncated .sst files in a background goroutine")
				}
				h := build(t)
				path := filepath.Join(h.dir, name)
				info, err := os.Stat(path)
				if err != nil {
					t.Skipf("%s not in this store", name)
				}
				size := info.Size() / 2
				if keep == "empty" {
					size = 0
				}
				if err := os.Truncate(path, size); err != nil {
					t.Fatal(err)
				}
				c, err := openNoPanic(t, cfgFor(h))
				if err != nil {
					t.Logf("refused: %v", err)
					return
				}
				defer c.Close()
				tip := c.Tip()
				t.Logf("opened at height %d", tip.Height)
				h.c = c
				h.clock = time.UnixMilli(tip.Time).Add(time.Second)
				blk := h.template()
				if _, err := c.ProcessBlock(context.Background(), blk); err != nil {
					t.Fatalf("chain opened on a damaged store but cannot extend: %v", err)
				}
				h.c = nil
			})
		}
	}
}

// killChildAt runs the helper test helper as a child process writing to
// dir (through envKey), reads its "<verb> HEIGHT HASH" lines into reported
// and last, kills it with SIGKILL once it reports target, and checks that
// SIGKILL is what ended it.
func killChildAt(t *testing.T, helper, envKey, dir, verb string, target uint64, reported map[uint64]wire.Hash, last *uint64, round int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), envKey+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var height uint64
		var hash string
		if n, _ := fmt.Sscanf(sc.Text(), verb+" %d %s", &height, &hash); n != 2 {
			continue
		}
		h, err := wire.ParseHash(hash)
		if err != nil {
			t.Fatalf("child printed %q: %v", sc.Text(), err)
		}
		reported[height] = h
		*last = max(*last, height)
		if !killed && height >= target {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !killed || !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child did not die by SIGKILL (killed %v): %v", round, killed, err)
	}
}
