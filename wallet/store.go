package wallet

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/thingchain/thingchain/chain/keys"
)

const (
	dirPerm  = 0o700
	filePerm = 0o600
	fileExt  = ".json"
	maxName  = 64
	// maxKeyFileSize rejects anything that cannot be a key file before
	// reading it into memory.
	maxKeyFileSize = 64 << 10
)

// Store errors.
var (
	ErrKeyExists   = errors.New("a key with that name or address already exists")
	ErrKeyNotFound = errors.New("no such key in the keystore")
	ErrInvalidName = errors.New("invalid key name: use 1-64 letters, digits, '.', '_' or '-', not starting with '.'")
)

// Store is a directory of key files, one per key, named <name>.json. It is
// safe for use by one process; concurrent creators of the same name are
// resolved by the filesystem (the loser gets ErrKeyExists).
type Store struct {
	dir string
}

// KeyInfo describes one file in the store. For a file that could not be
// read or parsed, Err says why and Name/Address are empty: List reports such
// files instead of failing, so one damaged file does not hide the others.
type KeyInfo struct {
	Name    string
	Address string
	Path    string
	Err     error
}

// OpenStore opens dir as a keystore, creating it with mode 0700. An existing
// directory is tightened to 0700, because other local users must not be able
// to copy encrypted keys and guess passwords offline.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("wallet: create keystore directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("wallet: keystore directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("wallet: keystore path %s is not a directory", dir)
	}
	if fi.Mode().Perm() != dirPerm {
		if err := os.Chmod(dir, dirPerm); err != nil {
			return nil, fmt.Errorf("wallet: restrict keystore directory permissions: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

func validName(name string) error {
	if len(name) == 0 || len(name) > maxName || name[0] == '.' {
		return fmt.Errorf("%w (got %q)", ErrInvalidName, name)
	}
	for _, c := range name {
		ok := c == '.' || c == '_' || c == '-' ||
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			return fmt.Errorf("%w (got %q)", ErrInvalidName, name)
		}
	}
	return nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name+fileExt) }

func readKeyFile(path string) (*KeyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxKeyFileSize {
		return nil, corrupt("%s is %d bytes, too large for a key file", path, fi.Size())
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return nil, err
	}
	kf, err := ParseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kf, nil
}

// List returns every *.json file in the store, sorted by name. Unreadable
// files appear with Err set; the error result is only for an unreadable
// directory.
func (s *Store) List() ([]KeyInfo, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("wallet: read keystore directory: %w", err)
	}
	var out []KeyInfo
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), fileExt) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(s.dir, e.Name())
		kf, err := readKeyFile(p)
		if err != nil {
			out = append(out, KeyInfo{Path: p, Err: err})
			continue
		}
		out = append(out, KeyInfo{Name: kf.Name, Address: kf.Address, Path: p})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// Get finds a key by name, or failing that by address (case-insensitive).
func (s *Store) Get(nameOrAddress string) (*KeyFile, error) {
	if validName(nameOrAddress) == nil {
		kf, err := readKeyFile(s.path(nameOrAddress))
		switch {
		case err == nil:
			return kf, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("wallet: %w", err)
		}
	}
	infos, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, ki := range infos {
		if ki.Err == nil && (ki.Name == nameOrAddress || strings.EqualFold(ki.Address, nameOrAddress)) {
			return readKeyFile(ki.Path)
		}
	}
	return nil, fmt.Errorf("wallet: %q: %w (`thingchain wallet list` shows the stored keys; check --network and --wallet-dir)", nameOrAddress, ErrKeyNotFound)
}

// Create generates a new key, encrypts it and stores it under name.
func (s *Store) Create(name, password string, p ScryptParams, hrp string) (*KeyFile, error) {
	if err := validName(name); err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	k, err := keys.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	defer k.Zero()
	return s.encryptAndSave(k, name, password, p, hrp)
}

// Import stores an existing private key given as 64 hex characters.
func (s *Store) Import(name, privHex, password string, p ScryptParams, hrp string) (*KeyFile, error) {
	if err := validName(name); err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(privHex))
	if err != nil {
		return nil, fmt.Errorf("wallet: private key must be %d hex characters: %w", 2*keys.PrivateKeySize, err)
	}
	defer clear(raw)
	k, err := keys.PrivateKeyFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	defer k.Zero()
	return s.encryptAndSave(k, name, password, p, hrp)
}

// ImportFile copies a key file from elsewhere into the store, keeping its
// name. It is validated first but not decrypted.
func (s *Store) ImportFile(path string) (*KeyFile, error) {
	kf, err := readKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("wallet: import %s: %w", path, err)
	}
	if err := validName(kf.Name); err != nil {
		return nil, fmt.Errorf("wallet: import %s: %w", path, err)
	}
	if err := s.save(kf); err != nil {
		return nil, err
	}
	return kf, nil
}

// Export decrypts a stored key and returns it as hex. The caller should
// clear the string from wherever it is shown as soon as possible.
func (s *Store) Export(nameOrAddress, password string) (string, error) {
	kf, err := s.Get(nameOrAddress)
	if err != nil {
		return "", err
	}
	k, err := DecryptKey(kf, password)
	if err != nil {
		return "", fmt.Errorf("wallet: %w", err)
	}
	defer k.Zero()
	raw := k.Bytes()
	defer clear(raw)
	return hex.EncodeToString(raw), nil
}

func (s *Store) encryptAndSave(k *keys.PrivateKey, name, password string, p ScryptParams, hrp string) (*KeyFile, error) {
	// Check for duplicates before the expensive KDF; save checks again.
	if err := s.checkUnique(name, k.PubKey().Address()); err != nil {
		return nil, err
	}
	kf, err := EncryptKey(k, name, hrp, password, p)
	if err != nil {
		return nil, err
	}
	if err := s.save(kf); err != nil {
		return nil, err
	}
	return kf, nil
}

// checkUnique rejects a second file for the same name or the same key; the
// same key under two names would let their passwords drift apart.
func (s *Store) checkUnique(name string, addr keys.Address) error {
	infos, err := s.List()
	if err != nil {
		return err
	}
	for _, ki := range infos {
		if ki.Err != nil {
			continue
		}
		if ki.Name == name {
			return fmt.Errorf("wallet: name %q: %w", name, ErrKeyExists)
		}
		hrp := hrpOf(ki.Address)
		if a, err := keys.DecodeAddress(ki.Address, hrp); err == nil && a == addr {
			return fmt.Errorf("wallet: this key is already stored as %q: %w", ki.Name, ErrKeyExists)
		}
	}
	if _, err := os.Lstat(s.path(name)); err == nil {
		return fmt.Errorf("wallet: %s already exists: %w", s.path(name), ErrKeyExists)
	}
	return nil
}

// save writes kf atomically: a complete temp file is synced and then linked
// into place, so a crash never leaves a half-written key and an existing
// file of the same name is never replaced.
func (s *Store) save(kf *KeyFile) error {
	p, err := kf.check()
	if err != nil {
		return err
	}
	if err := s.checkUnique(kf.Name, p.addr); err != nil {
		return err
	}
	data, err := kf.Marshal()
	if err != nil {
		return fmt.Errorf("wallet: encode key file: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-"+kf.Name+"-*")
	if err != nil {
		return fmt.Errorf("wallet: write key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Chmod(filePerm); err != nil {
		tmp.Close()
		return fmt.Errorf("wallet: write key file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("wallet: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("wallet: write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("wallet: write key file: %w", err)
	}
	final := s.path(kf.Name)
	if err := os.Link(tmpName, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("wallet: %s already exists: %w", final, ErrKeyExists)
		}
		// Some filesystems lack hard links; rename is still atomic, and the
		// existence check above covers the common case.
		if err := os.Rename(tmpName, final); err != nil {
			return fmt.Errorf("wallet: write key file: %w", err)
		}
	}
	if d, err := os.Open(s.dir); err == nil {
		// Persist the directory entry; failure here is not fatal because
		// the file itself is already synced.
		_ = d.Sync()
		d.Close()
	}
	return nil
}
