package auction

import (
	"errors"
	"fmt"

	"github.com/thingchain/thingchain/chain/keys"
)

// ErrKeyMismatch means a delivered key decrypted but does not match the
// hash the device committed to.
var ErrKeyMismatch = errors.New("auction: delivered key does not match its hash commitment")

// OpenDelivery decrypts a delivered access key with the winner's private
// key and checks it against the delivery's hash commitment.
func OpenDelivery(winner *keys.PrivateKey, d *Delivery) ([]byte, error) {
	k, err := winner.DecryptECIES(d.EncryptedKey)
	if err != nil {
		return nil, fmt.Errorf("auction %s: %w", d.Auction, err)
	}
	if KeyHash(k) != d.KeyHash {
		return nil, fmt.Errorf("auction %s: %w", d.Auction, ErrKeyMismatch)
	}
	return k, nil
}
