// Package wallet owns the on-disk keystore: encrypting private keys under a
// password (scrypt + AES-256-GCM in a versioned JSON file), the directory of
// such files, and reading passwords from a file, an environment variable or
// the terminal.
//
// It uses chain/keys for key material and address encoding. It must not
// touch chain state, the mempool or the network: it never signs transactions
// or learns balances; callers decrypt a key here and sign elsewhere. Network
// address prefixes (HRPs) are passed in by the caller, not decided here.
package wallet
