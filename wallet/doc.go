// Package wallet owns what a user keeps on their own machine and does
// with it:
//
//   - the keystore: private keys encrypted under a password (scrypt +
//     AES-256-GCM in a versioned JSON file), the directory of such files,
//     and reading passwords from a file, an environment variable or the
//     terminal;
//   - the bid book: every sealed bid's amount and salt, written and
//     fsynced before its commitment is sent, because a lost salt is a
//     forfeited deposit;
//   - the Bidder, a client of the node's API that places batch sealed bids,
//     reveals and pays when due (Watch: it follows the book's open bids in
//     memory, reacting to each new head with one auction.getMany call for
//     the auctions whose stage may have changed; track.go), opens
//     delivered access keys and fetches a device's data with them
//     (FetchData).
//
// It uses chain/keys for key material and auction/auctiontx's builders
// for transactions, and talks to a node only through api/rpc, api/client
// and api/apitypes. It must not import the chain engine, a state machine
// (auction, ledger, registry: use their engine-free *tx packages), the
// mempool, p2p, the node or Badger (api/client TestClientDependencies
// holds that). Network address prefixes (HRPs) and parameters are passed
// in by the caller.
package wallet
