// Package chain is the block engine shared by the metadata chain and the
// auction chain. One Chain value owns one Badger directory and, inside it,
// the block store, the block index, the main-chain height index, the state
// of its state machine with its LtHash commitment, and per-block undo data.
//
// It decides which blocks are valid and which branch is best: validation
// runs in stages by the data each needs (checkBlockSanity: the block alone;
// checkHeaderContext: the parent header chain; connectBlock: the state), fork
// choice is most cumulative work, and a reorganisation disconnects blocks
// through their undo data and connects the new branch in atomic Badger
// transactions of whole blocks (several per commit on a long branch,
// connectBranch) so a kill -9 at any moment leaves a consistent tip.
// Initial sync imports runs of blocks through VerifyBlocks (context-free
// checks on all cores, no lock) and ProcessBlocks (store, then connect
// under one lock), which end where ProcessBlock on each block would.
// Every signature of a block is verified in one parallel batch before any
// state is touched; fork choice searches a candidate set of side-branch
// blocks, not the whole index (candidates.go); a block arriving as bytes
// is decoded once; transactions the state machine allows are applied on
// all cores with the result of applying them in order (parallelapply.go).
//
// What a transaction means is not chain's business: a StateMachine plugs
// in to check and apply transactions, reading and writing state only
// through a View, which records undo data and updates the state commitment
// itself. chain must not import the mempool, the network, the ledger or the
// API; they depend on it, and learn of tip changes through Subscribe.
package chain
