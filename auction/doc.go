// Package auction is the auction chain's state machine (design §3–4): the
// ledger (accounts, transfers, fees) extended with sealed-bid second-price
// auctions of access to device data, the anchor rule linking the auction
// chain to the metadata chain, and the metadata miners' share of fees.
//
// What it owns:
//   - the anchor rule (checkAnchor): a block's anchor never moves back,
//     moves at most MaxAnchorStep and, when this node knows the anchored
//     metadata block, names it at its height, not invalid, descending from
//     the previous anchor (else consensus.ErrBadAnchor: decided from
//     metadata headers alone). A metadata block this node lacks, has on a
//     side branch, or has less than k = AnchorDepth deep on its main chain
//     gives a plain error wrapping ErrAnchorPending (the block is not at
//     fault; the engine keeps it pending). Metadata state is read by the
//     anchored block's hash, on its own branch. The all-zero anchor carries
//     the previous one forward; the effective anchor is state
//     ("anchor/last"), so undo restores it;
//   - the metadata miners' pool: MetadataFeePermille of every block's fees
//     is pooled and split evenly among the reward addresses of the
//     metadata blocks an anchor newly covers;
//   - auctions (open, commit, reveal, settle, pay, deliver, lapse,
//     missed delivery), escrow, deliveries and device strikes, with the
//     per-height due lists that make settlement O(auctions due);
//   - the two kinds of bid: full-deposit (TxCommitFullBids: the deposit
//     covers the bid, settled from escrow, an unrevealed one forfeits
//     only its bond) and bond-only (TxCommitBids: payment window and
//     next-highest fallback);
//   - read helpers of state for the node's API (GetAuction, BidsOfAuction,
//     AuctionsOfDevice, NextAuction, BidsOfBidder, GetDelivery, Strikes,
//     Escrow, MetadataPool, LastAnchor, ChooseAnchor).
//
// Payload codecs, builders of signed transactions, deposit arithmetic
// and the rule error kinds live in the engine-free subpackage auctiontx,
// which wallets and devices import; auctiontx_aliases.go re-exports them
// here under the same names.
//
// Terms are registry.Terms (a type alias): importing registry for that
// one struct keeps one definition of the owner's terms on both chains.
// The metadata chain is reached only through the Metadata interface,
// which the node implements over its metadata chain; tests use a fake.
//
// Genesis is exactly the ledger's (no auction state is written), so the
// auction chain's genesis hash does not change.
//
// Coin: every movement is a debit and a credit or a move into or out of
// escrow or the pool, so Σ balances + Escrow + MetadataPool = Supply at
// every block (asserted by the tests under random traffic and reorgs).
//
// auction must not import the node, API, mempool or p2p packages, and
// must not touch the metadata chain's state: it sees the metadata chain
// only through Metadata. docs/auction.md is the specification.
package auction
