package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// eciesjsDir holds the pinned npm eciesjs package (package-lock.json) and
// the Node script that talks to this test.
var eciesjsDir = filepath.Join("..", "..", "testdata", "interop", "eciesjs")

// TestECIESInteropEciesjs runs the npm eciesjs package in a real Node
// process in both directions: eciesjs checks the shared vectors and decrypts
// fresh ciphertexts from EncryptECIES, and DecryptECIES opens fresh
// ciphertexts from eciesjs's encrypt. It needs `npm ci` in
// testdata/interop/eciesjs; .ci/run does that and sets THINGCHAIN_ECIESJS=1,
// which turns a missing node or package into a failure instead of a skip.
func TestECIESInteropEciesjs(t *testing.T) {
	required := os.Getenv("THINGCHAIN_ECIESJS") == "1"
	missing := func(what string) {
		msg := fmt.Sprintf("%s; run `npm ci` in %s (needs node and npm) to check ECIES against eciesjs", what, eciesjsDir)
		if required {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(eciesjsDir, "node_modules", "eciesjs", "package.json")); err != nil {
		missing("eciesjs is not installed")
	}
	runInterop(t, eciesjsDir, node, "interop.cjs")
}

// TestECIESInteropPython runs testdata/interop/python/ecies.py, an
// implementation written from docs/auction.md §9 with only the Python
// `cryptography` package (what a Python device has), the same way. It
// skips without python3 and cryptography unless THINGCHAIN_PYTHON_ECIES=1
// (set by .ci/run, which installs Debian's python3-cryptography).
func TestECIESInteropPython(t *testing.T) {
	required := os.Getenv("THINGCHAIN_PYTHON_ECIES") == "1"
	python := "/usr/bin/python3" // Debian's, which sees python3-cryptography
	if _, err := os.Stat(python); err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			python = ""
		}
	}
	if python == "" || exec.Command(python, "-c", "import cryptography.hazmat.primitives.ciphers.aead").Run() != nil {
		msg := "python3 with the cryptography package is not installed (Debian: apt-get install python3-cryptography)"
		if required {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	runInterop(t, filepath.Join("..", "..", "testdata", "interop", "python"), python, "ecies.py")
}

// runInterop sends the vectors' path, fresh Go ciphertexts and plaintexts
// to encrypt to another implementation's script (protocol in
// testdata/interop/eciesjs/interop.cjs) and checks its answers.
func runInterop(t *testing.T, dir, interpreter, script string) {
	t.Helper()
	type fromGo struct {
		RecipientSecret string `json:"recipient_secret"`
		Plaintext       string `json:"plaintext"`
		Ciphertext      string `json:"ciphertext"`
	}
	type toGo struct {
		RecipientPublic string `json:"recipient_public"`
		Plaintext       string `json:"plaintext"`
	}
	vectors, err := filepath.Abs(eciesVectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	req := struct {
		Vectors string   `json:"vectors"`
		FromGo  []fromGo `json:"from_go"`
		ToGo    []toGo   `json:"to_go"`
	}{Vectors: vectors}
	var recipients []*PrivateKey
	for i, n := range []int{0, 1, 32, 100, 1000} {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		recipients = append(recipients, k)
		msg := make([]byte, n)
		rand.Read(msg)
		ct, err := EncryptECIES(rand.Reader, k.PubKey(), msg)
		if err != nil {
			t.Fatal(err)
		}
		secret := k.Bytes()
		req.FromGo = append(req.FromGo, fromGo{hex.EncodeToString(secret), hex.EncodeToString(msg), hex.EncodeToString(ct)})
		req.ToGo = append(req.ToGo, toGo{k.PubKey().String(), hex.EncodeToString([]byte(fmt.Sprintf("access key %d for Go", i)))})
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, interpreter, script)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", interpreter, script, err, stderr.String())
	}
	var reply struct {
		Vectors int      `json:"vectors"`
		Invalid int      `json:"invalid"`
		FromGo  int      `json:"from_go"`
		ToGo    []string `json:"to_go"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &reply); err != nil {
		t.Fatalf("reply %q: %v", stdout.String(), err)
	}
	if reply.Vectors < 3 || reply.Invalid < 5 {
		t.Fatalf("%s checked %d valid and %d invalid vectors", script, reply.Vectors, reply.Invalid)
	}
	if reply.FromGo != len(req.FromGo) {
		t.Fatalf("%s decrypted %d of %d Go ciphertexts", script, reply.FromGo, len(req.FromGo))
	}
	if len(reply.ToGo) != len(req.ToGo) {
		t.Fatalf("%s returned %d ciphertexts, want %d", script, len(reply.ToGo), len(req.ToGo))
	}
	for i, h := range reply.ToGo {
		ct, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := recipients[i].DecryptECIES(ct)
		if err != nil {
			t.Fatalf("to_go[%d]: Go cannot decrypt %s's ciphertext: %v", i, script, err)
		}
		if want, _ := hex.DecodeString(req.ToGo[i].Plaintext); !bytes.Equal(pt, want) {
			t.Fatalf("to_go[%d]: decrypted %q, want %q", i, pt, want)
		}
		if _, err := recipients[(i+1)%len(recipients)].DecryptECIES(ct); err == nil {
			t.Fatalf("to_go[%d]: another key decrypted it", i)
		}
	}
}
