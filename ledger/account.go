package ledger

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// Coin is the number of base units in one THG.
const Coin = 100_000_000

// Account is an auction-chain account.
type Account struct {
	Balance uint64
	Nonce   uint64
}

// AccountKey is the state key of an address's account.
func AccountKey(a keys.Address) []byte { return append([]byte("acct/"), a[:]...) }

var supplyKey = []byte("supply")

// GetAccount reads an account; an address never seen reads as empty.
func GetAccount(v *chain.View, a keys.Address) (Account, error) {
	b, ok, err := v.Get(AccountKey(a))
	if err != nil || !ok {
		return Account{}, err
	}
	if len(b) != 16 {
		return Account{}, consensus.AssertError(fmt.Sprintf("account record of %x is %d bytes", a, len(b)))
	}
	return Account{Balance: binary.BigEndian.Uint64(b), Nonce: binary.BigEndian.Uint64(b[8:])}, nil
}

// PutAccount writes an account; an empty account is deleted so the state
// (and its commitment) holds only accounts that matter.
func PutAccount(v *chain.View, a keys.Address, acct Account) {
	if acct == (Account{}) {
		v.Delete(AccountKey(a))
		return
	}
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), acct.Balance)
	v.Put(AccountKey(a), binary.BigEndian.AppendUint64(b, acct.Nonce))
}

// Credit adds amount to an address's balance.
func Credit(v *chain.View, a keys.Address, amount uint64) error {
	acct, err := GetAccount(v, a)
	if err != nil {
		return err
	}
	sum, carry := bits.Add64(acct.Balance, amount, 0)
	if carry != 0 {
		return consensus.RuleErrorf(ErrOverflow, "crediting %d to %x overflows its balance", amount, a)
	}
	acct.Balance = sum
	PutAccount(v, a, acct)
	return nil
}

// Debit takes amount from an address's balance.
func Debit(v *chain.View, a keys.Address, amount uint64, hrp string) error {
	acct, err := GetAccount(v, a)
	if err != nil {
		return err
	}
	if acct.Balance < amount {
		return consensus.RuleErrorf(ErrInsufficientFunds, "%s has %s, needs %s", a.Encode(hrp), FormatAmount(acct.Balance), FormatAmount(amount))
	}
	acct.Balance -= amount
	PutAccount(v, a, acct)
	return nil
}

// Supply is the total coin created at genesis; every later state change
// moves coin, never creates it, so the sum of balances equals it.
func Supply(v *chain.View) (uint64, error) { return v.GetUint64(supplyKey) }

// FormatAmount renders base units as THG with up to 8 decimals.
func FormatAmount(units uint64) string {
	whole, frac := units/Coin, units%Coin
	if frac == 0 {
		return fmt.Sprintf("%d THG", whole)
	}
	s := fmt.Sprintf("%d.%08d", whole, frac)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s + " THG"
}

// ParseAmount reads "12.5" (THG) or "1250000000u" (base units).
func ParseAmount(s string) (uint64, error) {
	if n := len(s); n > 1 && s[n-1] == 'u' {
		var v uint64
		if _, err := fmt.Sscanf(s[:n-1], "%d", &v); err != nil {
			return 0, fmt.Errorf("amount %q: base units must be a whole number", s)
		}
		return v, nil
	}
	var whole, frac uint64
	intPart, fracPart, hasFrac := cut(s, '.')
	if intPart == "" && !hasFrac {
		return 0, fmt.Errorf("amount %q: give THG like 12.5 or base units like 1250000000u", s)
	}
	for _, r := range intPart {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("amount %q: not a number", s)
		}
		hi, lo := bits.Mul64(whole, 10)
		if hi != 0 || lo+uint64(r-'0') < lo {
			return 0, fmt.Errorf("amount %q is too large", s)
		}
		whole = lo + uint64(r-'0')
	}
	if len(fracPart) > 8 {
		return 0, fmt.Errorf("amount %q: at most 8 decimals", s)
	}
	for i := 0; i < 8; i++ {
		frac *= 10
		if i < len(fracPart) {
			r := fracPart[i]
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("amount %q: not a number", s)
			}
			frac += uint64(r - '0')
		}
	}
	hi, lo := bits.Mul64(whole, Coin)
	total, carry := bits.Add64(lo, frac, 0)
	if hi != 0 || carry != 0 {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	return total, nil
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
