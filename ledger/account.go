package ledger

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/thingchain/thingchain/chain"
	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

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
