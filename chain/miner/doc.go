// Package miner owns proof-of-work block production: signing a template
// with the miner key, grinding nonces on several threads, and a loop that
// mines both chains at once and abandons a template as soon as its chain's
// tip moves. Pause holds the loop between rounds (abandoning a nonce
// search in progress) while blocks are generated on demand with the same
// key, so the two never race with identical blocks.
//
// It must not decide validity: every block it finds goes through
// chain.ProcessBlock like a block from the network. It must not import the
// mempool or the network; transaction candidates and anchors arrive through
// the functions in its Config.
package miner
