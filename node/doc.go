// Package node wires one thingchain process together: both chains with
// their state machines and mempools, the miner, the peer-to-peer host and
// the JSON-RPC API, all on one data directory. It owns start-up order,
// shutdown and the data directory layout; the rules live in the packages it
// wires, and it must not implement any of them itself.
//
// Data directory layout:
//
//	DIR/network         the network name this directory belongs to
//	DIR/metadata/       Badger directory of the metadata chain
//	DIR/auction/        Badger directory of the auction chain
//	DIR/mempool/        each chain's pending transactions, saved periodically and on shutdown
//	DIR/miner.key       hex secp256k1 key that signs mined blocks (0600)
//	DIR/p2p.key         libp2p identity (0600)
//	DIR/p2p-bans.json   banned peers and when each ban ends
//	DIR/.cookie         admin API token while the node runs (0600)
//	DIR/node.json       addresses and PID of the running node (removed on exit;
//	                    one left by a killed node is stale: RunningInfo checks
//	                    the PID, and tools holding the directory remove it)
package node
