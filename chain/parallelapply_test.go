package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/thingchain/thingchain/chain/lthash"
	"github.com/thingchain/thingchain/chain/wire"
	"github.com/thingchain/thingchain/consensus"
)

// bankMachine is an account machine for the parallel-application tests:
// transfers (concurrent) move coin between accounts, paying a fee that
// type-2 transactions (not concurrent) sweep into a shared pot, so blocks
// mix disjoint and conflicting transactions; an emptied account is
// deleted, as the ledger does.
type bankMachine struct {
	work int // extra rounds of hashing per transaction: a costly ApplyTx
}

// errBankRule is the bank machine's own rule violation (funds, self).
var errBankRule = consensus.ErrorKind("ErrBankRule")

const (
	bankTransfer = 1 // payload: recipient (2 bytes), amount (8 bytes)
	bankSweep    = 2 // moves 1% of the sender's balance into "pot"
)

func bankKey(kind string, who uint16) []byte { return binary.BigEndian.AppendUint16([]byte(kind), who) }

func (bankMachine) Genesis(*View) error                { return nil }
func (bankMachine) CheckTxSanity(*wire.Tx) error       { return nil }
func (bankMachine) ApplyConcurrently(tx *wire.Tx) bool { return tx.Type == bankTransfer }
func (bankMachine) FinishBlock(*View, *wire.Block, *BlockContext) error {
	return nil
}

func (m bankMachine) ApplyTx(v *View, tx *wire.Tx, _ *BlockContext) error {
	h := sha256.Sum256(tx.Payload)
	for range m.work {
		h = sha256.Sum256(h[:])
	}
	who := binary.BigEndian.Uint16(tx.Sender[1:])
	nk := bankKey("nonce/", who)
	n, err := v.GetUint64(nk)
	if err != nil {
		return err
	}
	if tx.Nonce != n {
		return consensus.RuleErrorf(consensus.ErrBadNonce, "nonce %d, expected %d", tx.Nonce, n)
	}
	v.PutUint64(nk, n+1)
	bk := bankKey("bal/", who)
	bal, err := v.GetUint64(bk)
	if err != nil {
		return err
	}
	move := func(to []byte, amount uint64) error {
		if amount > bal {
			return consensus.RuleErrorf(errBankRule, "balance %d, moving %d", bal, amount)
		}
		bal -= amount
		if bal == 0 {
			v.Delete(bk)
		} else {
			v.PutUint64(bk, bal)
		}
		got, err := v.GetUint64(to)
		if err != nil {
			return err
		}
		v.PutUint64(to, got+amount)
		return nil
	}
	if tx.Type == bankSweep {
		return move([]byte("pot"), bal/100)
	}
	to := binary.BigEndian.Uint16(tx.Payload)
	if to == who {
		return consensus.RuleErrorf(errBankRule, "transfer to self")
	}
	if err := move(bankKey("bal/", to), 1); err != nil { // the fee
		return err
	}
	// The fee went to the recipient's account too: re-read it.
	bal, err = v.GetUint64(bk)
	if err != nil {
		return err
	}
	return move(bankKey("bal/", to), binary.BigEndian.Uint64(tx.Payload[2:]))
}

// memState is committed state in memory.
type memState map[string][]byte

func (m memState) getState(key []byte) ([]byte, bool, error) {
	v, ok := m[string(key)]
	return v, ok, nil
}

func (m memState) commit(changes []stateChange) {
	for _, c := range changes {
		if c.hasNew {
			m[c.key] = c.new
		} else {
			delete(m, c.key)
		}
	}
}

// randomBankBlock draws a block of transfers and sweeps over accounts
// senders; when bad, one transaction fails (a wrong nonce, or an amount
// no balance covers).
func randomBankBlock(rng *rand.Rand, base memState, accounts int, bad bool) []*wire.Tx {
	nonces := map[uint16]uint64{}
	n := 1 + rng.IntN(parallelApplyMin) // below the threshold: serial
	if rng.IntN(4) > 0 {
		n = parallelApplyMin + rng.IntN(applyWindow) // up to two windows
	}
	txs := make([]*wire.Tx, n)
	for i := range txs {
		who := uint16(rng.IntN(accounts))
		nonce, ok := nonces[who]
		if !ok {
			b, _, _ := base.getState(bankKey("nonce/", who))
			if len(b) == 8 {
				nonce = binary.BigEndian.Uint64(b)
			}
		}
		nonces[who] = nonce + 1
		tx := &wire.Tx{Type: bankTransfer, Nonce: nonce}
		tx.Sender[0] = 2
		binary.BigEndian.PutUint16(tx.Sender[1:], who)
		amount := uint64(rng.IntN(20))
		to := uint16((int(who) + 1 + rng.IntN(accounts-1)) % accounts) // anyone else
		tx.Payload = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint16(nil, to), amount)
		if rng.IntN(50) == 0 {
			tx.Type, tx.Payload = bankSweep, nil
		}
		txs[i] = tx
	}
	if bad {
		tx := txs[rng.IntN(n)]
		if tx.Type == bankTransfer && rng.IntN(2) == 0 {
			tx.Payload = binary.BigEndian.AppendUint64(tx.Payload[:2], 1<<60) // more than any balance
		} else {
			tx.Nonce += 1 + uint64(rng.IntN(3))
		}
	}
	return txs
}

// root is the LtHash state root of a whole state.
func (m memState) root() wire.Hash {
	var acc lthash.Hash
	for k, v := range m {
		acc.Add(stateElement(k, v))
	}
	return acc.Sum()
}

// TestParallelApplyMatchesSerial is the determinism test of parallel state
// application: two states, one applying blocks in order and one the
// parallel way, go through the same 1,000 random blocks (from
// conflict-heavy ones over 3 accounts to nearly disjoint ones over 5,000,
// some failing part way). Every block gives both the same error or the
// same state changes, and the two state roots agree every 100 blocks and
// at the end.
func TestParallelApplyMatchesSerial(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // speculate on 4 workers even on a 2-core machine
	c := &Chain{sm: bankMachine{}}
	bctx := &BlockContext{Height: 1}
	rng := rand.New(rand.NewPCG(16, 1000))
	serialState, parallelState := memState{}, memState{}
	for who := range 5000 {
		bal := binary.BigEndian.AppendUint64(nil, uint64(1e6+rng.IntN(1e6)))
		serialState[string(bankKey("bal/", uint16(who)))] = bal
		parallelState[string(bankKey("bal/", uint16(who)))] = bal
	}
	var failed, applied, txs int
	for blk := range 1000 {
		accounts := []int{3, 30, 300, 5000}[rng.IntN(4)]
		block := randomBankBlock(rng, serialState, accounts, rng.IntN(10) == 0)
		serial, parallel := newView(serialState), newView(parallelState)
		serr := c.applySerial(serial, block, 0, bctx)
		perr := c.applyTxs(parallel, block, bctx)
		if fmt.Sprint(serr) != fmt.Sprint(perr) {
			t.Fatalf("block %d (%d txs over %d accounts): serial error %v, parallel error %v", blk, len(block), accounts, serr, perr)
		}
		if serr != nil {
			var rerr consensus.RuleError
			if !errors.As(serr, &rerr) {
				t.Fatalf("block %d: %v", blk, serr)
			}
			failed++
			continue
		}
		sc, err := serial.changes()
		if err != nil {
			t.Fatal(err)
		}
		pc, err := parallel.changes()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(sc, pc, func(a, b stateChange) bool {
			return a.key == b.key && a.hasNew == b.hasNew && slices.Equal(a.new, b.new)
		}) {
			t.Fatalf("block %d (%d txs over %d accounts): serial and parallel application differ (%d and %d changes)", blk, len(block), accounts, len(sc), len(pc))
		}
		serialState.commit(sc)
		parallelState.commit(pc)
		if blk%100 == 99 {
			if sr, pr := serialState.root(), parallelState.root(); sr != pr {
				t.Fatalf("after block %d: serial state root %s, parallel %s", blk, sr, pr)
			}
		}
		applied++
		txs += len(block)
	}
	if failed < 50 || applied < 700 {
		t.Fatalf("%d blocks failed, %d applied: the draw does not exercise both paths", failed, applied)
	}
	t.Logf("%d blocks applied (%d transactions), %d failed, identical", applied, txs, failed)
}

// BenchmarkParallelApply alternates parallel (speculating on every core,
// even below parallelApplyMinProcs) and serial application of
// the same 4,096-transaction bankMachine block on an in-memory state and
// reports the parallel rate and x_serial, serial time over parallel time
// (above 1: parallel is faster), for a block of cheap transfers between
// 5,000 accounts (nearly disjoint), one among 3 accounts (every transaction
// conflicts) and costly transfers (work=200 hashes each, about a
// check-in's ApplyTx) between 5,000 accounts.
func BenchmarkParallelApply(b *testing.B) {
	for _, tc := range []struct{ accounts, work int }{{5000, 0}, {3, 0}, {5000, 200}} {
		accounts := tc.accounts
		b.Run(fmt.Sprintf("accounts=%d/work=%d", accounts, tc.work), func(b *testing.B) {
			c := &Chain{sm: bankMachine{work: tc.work}}
			bctx := &BlockContext{Height: 1}
			rng := rand.New(rand.NewPCG(1, 2))
			base := memState{}
			for who := range accounts {
				base[string(bankKey("bal/", uint16(who)))] = binary.BigEndian.AppendUint64(nil, 1e9)
			}
			var block []*wire.Tx
			for len(block) < 4096 {
				block = append(block, randomBankBlock(rng, base, accounts, false)...)
			}
			block = block[:4096]
			// Nonces restart per drawn block; renumber them per sender.
			next := map[[wire.PubKeySize]byte]uint64{}
			for _, tx := range block {
				tx.Nonce = next[tx.Sender]
				next[tx.Sender]++
			}
			var par, ser time.Duration
			for b.Loop() {
				t0 := time.Now()
				if err := c.applyTxsOn(newView(base), block, bctx, runtime.GOMAXPROCS(0)); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := c.applySerial(newView(base), block, 0, bctx); err != nil {
					b.Fatal(err)
				}
				par += t1.Sub(t0)
				ser += time.Since(t1)
			}
			b.ReportMetric(float64(len(block)*b.N)/par.Seconds(), "tx/s")
			b.ReportMetric(ser.Seconds()/par.Seconds(), "x_serial")
		})
	}
}
