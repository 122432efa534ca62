package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeStandsAlone: the README's first screen has exactly the two
// set-up commands, its documentation list links every doc in docs/, and
// neither the README nor docs/ points outside the repository.
func TestReadmeStandsAlone(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	setup, _, _ := strings.Cut(text, "## A short tour")
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(setup)
	if block == nil {
		t.Fatal("README: no set-up command block before the tour")
	}
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(block[1]), "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	if want := []string{"go run ./cmd/thingchain testnet", "go test ./..."}; strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Errorf("README set-up commands %q, want exactly %q", cmds, want)
	}
	if !strings.Contains(setup, "web marketplace") {
		t.Error("README's first screen does not say to open the web marketplace")
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	for _, d := range docs {
		link := "(docs/" + filepath.Base(d) + ")"
		if !strings.Contains(text, link) {
			t.Errorf("README's documentation list does not link docs/%s", filepath.Base(d))
		}
	}
	for _, f := range append(docs, filepath.Join(root, "README.md")) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "../shared") || strings.Contains(string(b), "/work/") {
			t.Errorf("%s refers to files outside the repository", f)
		}
	}
}
