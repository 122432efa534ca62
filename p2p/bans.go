package p2p

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Bans are kept in Config.BanFile (DIR/p2p-bans.json for a node) so that a
// restart does not forgive a peer: a JSON list of peer IDs and the time
// each ban ends. The file is rewritten whole (write, sync, rename) after
// every new ban; expired entries are dropped when it is read or written.

type banRecord struct {
	Peer  string    `json:"peer"`
	Until time.Time `json:"until"`
}

type banFile struct {
	Bans []banRecord `json:"bans"`
}

// loadBans reads path; a missing file means no bans.
func loadBans(path string, now time.Time) (map[peer.ID]time.Time, error) {
	out := map[peer.ID]time.Time{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	var f banFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("p2p: ban list %s is damaged (%v); delete it to start with no bans", path, err)
	}
	for _, r := range f.Bans {
		id, err := peer.Decode(r.Peer)
		if err != nil {
			return nil, fmt.Errorf("p2p: ban list %s: %q is not a peer ID; delete the file to start with no bans", path, r.Peer)
		}
		if now.Before(r.Until) {
			out[id] = r.Until
		}
	}
	return out, nil
}

// saveBans writes bans to path atomically.
func saveBans(path string, bans map[peer.ID]time.Time) error {
	f := banFile{Bans: []banRecord{}}
	for p, until := range bans {
		f.Bans = append(f.Bans, banRecord{Peer: p.String(), Until: until.UTC()})
	}
	slices.SortFunc(f.Bans, func(a, b banRecord) int { return a.Until.Compare(b.Until) })
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".p2p-bans-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
