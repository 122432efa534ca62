package client

import (
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
