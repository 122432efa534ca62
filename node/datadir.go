package node

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/thingchain/thingchain/chain/keys"
	"github.com/thingchain/thingchain/consensus"
)

// DefaultDataDir is ~/.thingchain/<network>.
func DefaultDataDir(network string) string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".thingchain", network)
}

// ResolveNetwork decides which network a data directory is for: the one it
// was created with, which must agree with an explicit choice.
func ResolveNetwork(dir, requested string) (*consensus.Params, error) {
	b, err := os.ReadFile(filepath.Join(dir, "network"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		if requested == "" {
			return nil, fmt.Errorf("data directory %s has no network yet: pass --network main|test|regtest", dir)
		}
		return consensus.ForNetwork(requested)
	case err != nil:
		return nil, fmt.Errorf("read network of data directory: %w", err)
	}
	stored := strings.TrimSpace(string(b))
	net, err := consensus.ForNetwork(stored)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if requested != "" {
		want, err := consensus.ForNetwork(requested)
		if err != nil {
			return nil, err
		}
		if want.Name != net.Name {
			return nil, fmt.Errorf("data directory %s belongs to network %q, not %q: choose another --datadir", dir, net.Name, want.Name)
		}
	}
	return net, nil
}

// PrepareDataDir creates dir if needed and records its network.
func PrepareDataDir(dir string, net *consensus.Params) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, "network")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return writeFileAtomic(path, []byte(net.Name+"\n"), 0o644)
	}
	return nil
}

// writeFileAtomic writes through a temporary file and a rename so a crash
// never leaves a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// LoadOrCreateKey reads a hex private key file, creating it if missing.
func LoadOrCreateKey(path string) (*keys.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := keys.GenerateKey()
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(path, []byte(hex.EncodeToString(k.Bytes())+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write key %s: %w", path, err)
		}
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("key file %s is not hex: %v (delete it to make a new key, or restore it from backup)", path, err)
	}
	k, err := keys.PrivateKeyFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w (delete it to make a new key, or restore it from backup)", path, err)
	}
	return k, nil
}

var errNoFaucet = errors.New("this network has no faucet")
