package wallet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreCreateListGetExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keystore")
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := s.Create("alice", "pw-a", LightScrypt(), "tcr")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.Create("bob", "pw-b", LightScrypt(), "tcr")
	if err != nil {
		t.Fatal(err)
	}
	if alice.Address == bob.Address {
		t.Fatal("two created keys share an address")
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "alice" || list[1].Name != "bob" || list[0].Address != alice.Address {
		t.Fatalf("List = %+v", list)
	}
	if list[0].Path != filepath.Join(dir, "alice.json") || list[0].Err != nil {
		t.Fatalf("List entry = %+v", list[0])
	}
	for _, q := range []string{"alice", alice.Address, strings.ToUpper(alice.Address)} {
		kf, err := s.Get(q)
		if err != nil || kf.Address != alice.Address {
			t.Fatalf("Get(%q) = %v, %v", q, kf, err)
		}
	}
	if _, err := s.Get("carol"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Get(missing) err = %v", err)
	}
	privHex, err := s.Export(bob.Address, "pw-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(privHex) != 64 {
		t.Fatalf("exported %d hex chars", len(privHex))
	}
	if _, err := s.Export("bob", "pw-a"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("Export with wrong password err = %v", err)
	}
	if _, err := s.Create("alice", "x", LightScrypt(), "tcr"); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("duplicate name err = %v", err)
	}
	// The same key under a new name would let two passwords guard it.
	if _, err := s.Import("bob2", privHex, "x", LightScrypt(), "tcr"); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("duplicate key err = %v", err)
	}

	// Moving bob's key into a second store via Import, and alice's file via
	// ImportFile, must preserve the keys.
	s2, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	imp, err := s2.Import("bob", privHex, "new-pw", LightScrypt(), "tcr")
	if err != nil {
		t.Fatal(err)
	}
	if imp.Address != bob.Address {
		t.Fatal("imported key has a different address")
	}
	if again, err := s2.Export("bob", "new-pw"); err != nil || again != privHex {
		t.Fatalf("re-export = %v", err)
	}
	if _, err := s2.ImportFile(list[0].Path); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Export("alice", "pw-a"); err != nil {
		t.Fatalf("key imported from file does not decrypt: %v", err)
	}
	if _, err := s2.ImportFile(list[0].Path); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second ImportFile err = %v", err)
	}
}

func TestStorePermissionsAndNoTempFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ks")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("alice", "pw", LightScrypt(), "tcr"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "alice.json" {
		t.Fatalf("directory holds %v, want only alice.json", entries)
	}
	fi, err = os.Stat(filepath.Join(dir, "alice.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestStoreListReportsDamagedFiles(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("good", "pw", LightScrypt(), "tcr"); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(s.Dir(), "broken.json")
	if err := os.WriteFile(bad, []byte(`{"version":1,`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "notes.txt"), []byte("ignored"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var good, damaged int
	for _, ki := range list {
		switch {
		case ki.Err == nil && ki.Name == "good":
			good++
		case ki.Path == bad && errors.Is(ki.Err, ErrCorruptKeystore):
			damaged++
		default:
			t.Errorf("unexpected entry %+v", ki)
		}
	}
	if good != 1 || damaged != 1 {
		t.Fatalf("good=%d damaged=%d in %+v", good, damaged, list)
	}
	if _, err := s.Get("broken"); !errors.Is(err, ErrCorruptKeystore) {
		t.Fatalf("Get(broken) err = %v", err)
	}
	// A damaged file must not block adding new keys.
	if _, err := s.Create("another", "pw", LightScrypt(), "tcr"); err != nil {
		t.Fatal(err)
	}
}

func TestStoreRejectsBadNamesAndKeys(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "../escape", "a/b", ".hidden", "sp ace", strings.Repeat("x", 65)} {
		if _, err := s.Create(name, "pw", LightScrypt(), "tcr"); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Create(%q) err = %v", name, err)
		}
	}
	for _, h := range []string{"zz", "00", strings.Repeat("00", 32), strings.Repeat("ff", 32)} {
		if _, err := s.Import("imp", h, "pw", LightScrypt(), "tcr"); err == nil {
			t.Errorf("Import(%q) accepted", h)
		}
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 0 {
		t.Fatalf("failed operations left files: %v", entries)
	}
	if _, err := s.ImportFile(filepath.Join(s.Dir(), "missing.json")); err == nil {
		t.Fatal("ImportFile of a missing file succeeded")
	}
}

func TestOpenStoreOnFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(f); err == nil {
		t.Fatal("OpenStore on a regular file succeeded")
	}
}
