package wallet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPasswordFromFile(t *testing.T) {
	cases := map[string]string{
		"s3cret\n":              "s3cret",
		"s3cret\r\n":            "s3cret",
		"s3cret":                "s3cret",
		" spaced pw \nsecond\n": " spaced pw ",
	}
	for content, want := range cases {
		got, err := ReadPassword(PasswordOptions{File: writeFile(t, content)})
		if err != nil || got != want {
			t.Errorf("file %q: got %q, %v; want %q", content, got, err, want)
		}
	}
	for _, content := range []string{"", "\n", strings.Repeat("x", maxPasswordFile+10)} {
		if _, err := ReadPassword(PasswordOptions{File: writeFile(t, content)}); err == nil {
			t.Errorf("file of %d bytes accepted", len(content))
		}
	}
	if _, err := ReadPassword(PasswordOptions{File: filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Error("missing password file accepted")
	}
}

func TestPasswordFromEnvAndPrecedence(t *testing.T) {
	t.Setenv(PasswordEnvVar, "from-env")
	got, err := ReadPassword(PasswordOptions{EnvVar: PasswordEnvVar})
	if err != nil || got != "from-env" {
		t.Fatalf("env: %q, %v", got, err)
	}
	got, err = ReadPassword(PasswordOptions{File: writeFile(t, "from-file\n"), EnvVar: PasswordEnvVar})
	if err != nil || got != "from-file" {
		t.Fatalf("file should win over env: %q, %v", got, err)
	}
	t.Setenv(PasswordEnvVar, "")
	if _, err := ReadPassword(PasswordOptions{EnvVar: PasswordEnvVar}); err == nil || !strings.Contains(err.Error(), PasswordEnvVar) {
		t.Fatalf("empty env var: err = %v", err)
	}
}

func TestPasswordNoSource(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// A pipe is not a terminal, so prompting must refuse rather than read
	// a password that would be echoed or scripted by accident.
	opts := PasswordOptions{EnvVar: "THINGCHAIN_TEST_UNSET_VAR", Terminal: r, Out: w}
	t.Setenv(opts.EnvVar, "") // registers restoration before unsetting
	os.Unsetenv(opts.EnvVar)
	if _, err := ReadPassword(opts); !errors.Is(err, ErrNoPasswordSource) {
		t.Fatalf("err = %v, want ErrNoPasswordSource", err)
	}
	if _, err := ReadNewPassword(opts); !errors.Is(err, ErrNoPasswordSource) {
		t.Fatalf("new: err = %v, want ErrNoPasswordSource", err)
	}
	if !strings.Contains(ErrNoPasswordSource.Error(), "--password-file") {
		t.Fatal("error does not say how to provide a password")
	}
}

func TestReadNewPasswordFromFile(t *testing.T) {
	got, err := ReadNewPassword(PasswordOptions{File: writeFile(t, "new-pw\n")})
	if err != nil || got != "new-pw" {
		t.Fatalf("got %q, %v", got, err)
	}
}
