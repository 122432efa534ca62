package apitypes

import "github.com/thingchain/thingchain/chain/wire"

// MaxSubmitBatch bounds the transactions of one tx.submitBatch call.
const MaxSubmitBatch = 1000

// SubmitBatchParams carries signed transactions in hex (tx.submitBatch),
// each as tx.submit's raw.
type SubmitBatchParams struct {
	Raws []string `json:"raws"`
}

// SubmitBatchResult answers tx.submitBatch: one item per transaction, in
// the order sent.
type SubmitBatchResult struct {
	Results []SubmitItem `json:"results"`
}

// SubmitItem is one transaction's outcome in tx.submitBatch: txid and
// chain as tx.submit returns them when the mempool accepted it; otherwise
// also error, the JSON-RPC error object tx.submit would have returned for
// it (txid is absent when the transaction did not decode, chain when it
// names no chain of the network).
type SubmitItem struct {
	ID    *wire.Hash `json:"txid,omitempty"`
	Chain string     `json:"chain,omitempty"`
	Error *ItemError `json:"error,omitempty"`
}

// ItemError is a JSON-RPC 2.0 error object inside a result.
type ItemError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}
