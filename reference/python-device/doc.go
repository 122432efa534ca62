// Package pythondevice holds the Go side of the Python reference device
// (the thingdevice package next to this file): a test that runs its
// Python unit tests and an end-to-end test that onboards it on a real
// regtest node with the thingchain CLI, has a Go wallet win its auction,
// and fetches its data with the key it delivered. It has no Go API.
package pythondevice
