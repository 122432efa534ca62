//go:build !unix

package wallet

// lockFile is a no-op where flock is unavailable: the in-process mutex
// still serialises one process's updates.
func lockFile(string) (func(), error) { return func() {}, nil }
