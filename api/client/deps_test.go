package client

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/thingchain/thingchain"

// serverSide are packages a client must not link: the API server, the
// chain engine and the state machines built on it (auction, ledger,
// registry: clients use their engine-free auctiontx, ledgertx and
// registrytx), the mempool, storage, the p2p stack and the node.
var serverSide = []string{
	module + "/api",
	module + "/chain",
	module + "/auction",
	module + "/ledger",
	module + "/registry",
	module + "/mempool",
	module + "/p2p",
	module + "/node",
	"github.com/dgraph-io/badger/v4",
	"github.com/libp2p/go-libp2p",
}

// goList returns the import paths pkg depends on (itself included).
func goList(t *testing.T, pkg string) []string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goTool); err != nil {
		goTool = "go"
	}
	out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

// linked reports whether deps hold forbidden: exactly for thingchain's own
// packages (chain/keys and chain/wire are fine, chain is not), or any
// package of a forbidden external module.
func linked(deps []string, forbidden string) bool {
	external := !strings.HasPrefix(forbidden, module+"/")
	for _, d := range deps {
		if d == forbidden || external && strings.HasPrefix(d, forbidden+"/") {
			return true
		}
	}
	return false
}

// TestClientDependencies holds the API split to its rule: the typed
// client, the API types, the engine-free transaction packages, the wallet
// and the device simulator link none of the server side. They reach the
// node only through api/client and api/apitypes, and build transactions
// with auction/auctiontx, ledger/ledgertx and registry/registrytx
// (docs/architecture.md, "Client-side packages").
func TestClientDependencies(t *testing.T) {
	for _, pkg := range []string{
		"./api/apitypes",
		"./api/client",
		"./auction/auctiontx",
		"./ledger/ledgertx",
		"./registry/registrytx",
		"./wallet",
		"./devicesim",
		"./devicesim/wotcheck",
	} {
		deps := goList(t, "../../"+strings.TrimPrefix(pkg, "./"))
		if len(deps) < 2 {
			t.Fatalf("go list -deps %s listed %d packages; the check is broken", pkg, len(deps))
		}
		for _, f := range serverSide {
			if linked(deps, f) {
				t.Errorf("%s links %s: clients must use api/client, api/apitypes and the engine-free *tx packages, not the server side", pkg, f)
			}
		}
	}
}

// topLevelNames returns the package-level names (not methods) declared in
// the non-test Go files of dir: exported ones only when exportedOnly.
func topLevelNames(t *testing.T, dir string, exportedOnly bool) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		add := func(id *ast.Ident) {
			if !exportedOnly || id.IsExported() {
				names[id.Name] = true
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						add(s.Name)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							add(n)
						}
					}
				}
			}
		}
	}
	return names
}

// TestEngineReexportsClientSide: every exported name of an engine-free
// *tx package is declared again, under the same name, by the engine
// package it was split from, so engine code, the CLI and tests can keep
// one import (docs/architecture.md, "Client-side packages").
func TestEngineReexportsClientSide(t *testing.T) {
	for engine, tx := range map[string]string{
		"auction":  "auction/auctiontx",
		"ledger":   "ledger/ledgertx",
		"registry": "registry/registrytx",
	} {
		want := topLevelNames(t, filepath.Join("..", "..", tx), true)
		if len(want) < 5 {
			t.Fatalf("%s exports %d names; the scan is broken", tx, len(want))
		}
		have := topLevelNames(t, filepath.Join("..", "..", engine), false)
		for name := range want {
			if !have[name] {
				t.Errorf("%s.%s is not re-exported by %s: add it to %s/%s_aliases.go", filepath.Base(tx), name, engine, engine, filepath.Base(tx))
			}
		}
	}
}
