package consensus

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// declaredKind is one ErrorKind("…") conversion assigned to a name in the
// module's non-test source (consensus.ErrorKind and mempool.ErrorKind
// alike).
type declaredKind struct {
	pkg, name, str string
	pos            token.Position
}

var kindName = regexp.MustCompile(`^Err[A-Z][A-Za-z0-9]*$`)

// moduleFiles parses every non-test Go file of the module, by package
// directory name.
func moduleFiles(t *testing.T) (map[*ast.File]string, *token.FileSet) {
	t.Helper()
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above consensus/: %v", err)
	}
	fset := token.NewFileSet()
	files := map[*ast.File]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files[f] = f.Name.Name
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, fset
}

func isErrorKindConv(e ast.Expr) (string, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return "", false
	}
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		if fn.Name != "ErrorKind" {
			return "", false
		}
	case *ast.SelectorExpr:
		if fn.Sel.Name != "ErrorKind" {
			return "", false
		}
	default:
		return "", false
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// TestErrorKindsUniqueAcrossModule: every error kind of every package
// (consensus, ledger, auction, registry, mempool, and any added later) is
// named after its identifier, its string is unique in the whole module
// (clients match kinds by string, across the API), each is produced
// somewhere (not only declared, listed or tested with errors.Is), and
// every other "ErrXxx" string literal in the source — a client matching
// a kind by name — names a kind that exists.
func TestErrorKindsUniqueAcrossModule(t *testing.T) {
	files, fset := moduleFiles(t)
	var kinds []declaredKind
	byStr := map[string]declaredKind{}
	declLits := map[*ast.BasicLit]bool{}
	// Re-exports: a kind declared in one package and named again in
	// another under the same name (ErrX = ledgertx.ErrX, as the engine
	// packages re-export their engine-free *tx packages). The re-export
	// is not a use; a use of the re-exported name is a use of the kind.
	reexport := map[string]string{} // "auction.ErrX" -> "auctiontx.ErrX"
	for f, pkg := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, v := range vs.Values {
				if sel, ok := v.(*ast.SelectorExpr); ok && i < len(vs.Names) && kindName.MatchString(sel.Sel.Name) && vs.Names[i].Name == sel.Sel.Name {
					reexport[pkg+"."+vs.Names[i].Name] = exprString(sel)
				}
				s, ok := isErrorKindConv(v)
				if !ok || i >= len(vs.Names) {
					continue
				}
				declLits[v.(*ast.CallExpr).Args[0].(*ast.BasicLit)] = true
				k := declaredKind{pkg: pkg, name: vs.Names[i].Name, str: s, pos: fset.Position(v.Pos())}
				kinds = append(kinds, k)
				if k.name != k.str {
					t.Errorf("%s: %s.%s has the string %q; a kind's string is its name", k.pos, pkg, k.name, s)
				}
				if prev, dup := byStr[s]; dup {
					t.Errorf("%s: kind %q is declared twice: %s.%s and %s.%s (%s); give one a distinct name",
						k.pos, s, prev.pkg, prev.name, pkg, k.name, prev.pos)
				}
				byStr[s] = k
			}
			return true
		})
	}
	if len(kinds) < 40 {
		t.Fatalf("found only %d error kinds in the module; the scan is broken", len(kinds))
	}

	// Uses that produce a kind: any reference except its declaration, a
	// re-export, a list of kinds (composite literal of kinds) and
	// errors.Is tests.
	produced := map[string]bool{}
	for f, pkg := range files {
		var skip []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, v := range n.Values {
					if _, ok := isErrorKindConv(v); ok {
						skip = append(skip, n)
					}
					if i < len(n.Names) && reexport[pkg+"."+n.Names[i].Name] != "" {
						skip = append(skip, n)
					}
				}
			case *ast.CompositeLit:
				if at, ok := n.Type.(*ast.ArrayType); ok && strings.HasSuffix(exprString(at.Elt), "ErrorKind") {
					skip = append(skip, n)
				}
			case *ast.CallExpr:
				if exprString(n.Fun) == "errors.Is" {
					skip = append(skip, n)
				}
			}
			return true
		})
		inSkip := func(pos token.Pos) bool {
			for _, s := range skip {
				if s.Pos() <= pos && pos < s.End() {
					return true
				}
			}
			return false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && kindName.MatchString(n.Sel.Name) && !inSkip(n.Pos()) {
					produced[x.Name+"."+n.Sel.Name] = true
				}
				return false
			case *ast.Ident:
				if kindName.MatchString(n.Name) && !inSkip(n.Pos()) {
					produced[pkg+"."+n.Name] = true
				}
			}
			return true
		})
	}
	for name := range produced {
		for seen := 0; reexport[name] != "" && seen < 8; seen++ {
			name = reexport[name]
			produced[name] = true
		}
	}
	for _, k := range kinds {
		if !produced[k.pkg+"."+k.name] {
			t.Errorf("%s: kind %s.%s is never produced: remove it or return it where its rule is broken", k.pos, k.pkg, k.name)
		}
	}

	// Kinds matched by name elsewhere (clients, the simulator) must exist.
	for f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || declLits[lit] {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && kindName.MatchString(s) {
				if _, ok := byStr[s]; !ok {
					t.Errorf("%s: %q looks like an error kind but no package declares it", fset.Position(lit.Pos()), s)
				}
			}
			return true
		})
	}
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return ""
}
