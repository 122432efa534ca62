package wallet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// PasswordEnvVar is the conventional environment variable for unattended
// use (services, scripts).
const PasswordEnvVar = "THINGCHAIN_PASSWORD"

// maxPasswordFile bounds how much of a password file is read; a password
// longer than this is a mistake (wrong file) rather than a password.
const maxPasswordFile = 4096

// Password errors.
var (
	ErrNoPasswordSource = errors.New("no password source: use --password-file or " + PasswordEnvVar + " or run in a terminal")
	ErrPasswordMismatch = errors.New("the two passwords do not match: try again")
	ErrEmptyPassword    = errors.New("empty password: a key needs a non-empty password")
)

// PasswordOptions says where a password comes from. Sources are tried in
// order: File, then EnvVar (if that variable is set), then an interactive
// prompt on Terminal.
type PasswordOptions struct {
	// File is a path whose first line is the password.
	File string
	// EnvVar names an environment variable holding the password; usually
	// PasswordEnvVar.
	EnvVar string
	// Prompt is shown before reading from the terminal.
	Prompt string
	// Terminal is read when prompting; nil means os.Stdin. It must be a
	// terminal, so the password is never echoed or read from a pipe by
	// accident.
	Terminal *os.File
	// Out receives prompts; nil means os.Stderr, keeping stdout clean for
	// command output.
	Out io.Writer
}

// ReadPassword returns the password from the first configured source.
func ReadPassword(opts PasswordOptions) (string, error) {
	return readPassword(opts, false)
}

// ReadNewPassword is ReadPassword for a new key: it rejects an empty
// password and, when prompting, asks twice so a typo does not lock the key
// away for good.
func ReadNewPassword(opts PasswordOptions) (string, error) {
	pw, err := readPassword(opts, true)
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", ErrEmptyPassword
	}
	return pw, nil
}

func readPassword(opts PasswordOptions, confirm bool) (string, error) {
	if opts.File != "" {
		return passwordFromFile(opts.File)
	}
	if opts.EnvVar != "" {
		if v, ok := os.LookupEnv(opts.EnvVar); ok {
			if v == "" {
				return "", fmt.Errorf("%s is set but empty: set it to the password or unset it", opts.EnvVar)
			}
			return v, nil
		}
	}
	tty := opts.Terminal
	if tty == nil {
		tty = os.Stdin
	}
	out := opts.Out
	if out == nil {
		out = os.Stderr
	}
	fd := int(tty.Fd())
	if !term.IsTerminal(fd) {
		return "", ErrNoPasswordSource
	}
	prompt := opts.Prompt
	if prompt == "" {
		prompt = "Password: "
	}
	pw, err := promptOnce(fd, out, prompt)
	if err != nil || !confirm {
		return pw, err
	}
	again, err := promptOnce(fd, out, "Repeat password: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", ErrPasswordMismatch
	}
	return pw, nil
}

func promptOnce(fd int, out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	b, err := term.ReadPassword(fd)
	// The user's Enter was not echoed either, so end the prompt line.
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("read password from terminal: %w", err)
	}
	return string(b), nil
}

func passwordFromFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(io.LimitReader(f, maxPasswordFile), maxPasswordFile).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("password file %s: %w", path, err)
	}
	if err != nil && len(line) == maxPasswordFile {
		return "", fmt.Errorf("password file %s: first line is longer than %d bytes; is it the right file?", path, maxPasswordFile)
	}
	// Only the line ending is stripped: leading or inner spaces may be part
	// of the password.
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("password file %s: first line is empty", path)
	}
	return line, nil
}
