package apitypes

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// binaryTypes would marshal as arrays of byte numbers or base64 (or, for
// keys.Address, without the network prefix bech32m needs).
var binaryTypes = regexp.MustCompile(`^(\[\]byte|\[\d*\]byte|\[\]uint8|keys\.PubKey|keys\.Address|keys\.Signature|wire\.Anchor|json\.RawMessage)$`)

var memberName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// TestOneEncoding holds every member of every API type to the one
// encoding: a snake_case JSON name, and no type that would marshal as
// bytes. Hashes are wire.Hash (hex through MarshalText); keys, addresses
// and blobs are strings.
func TestOneEncoding(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	fields := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fl := range st.Fields.List {
				typ := exprString(fl.Type)
				if len(fl.Names) == 0 {
					continue // embedded: its own members are checked
				}
				fields++
				where := fset.Position(fl.Pos()).String() + " " + ts.Name.Name + "." + fl.Names[0].Name
				if binaryTypes.MatchString(strings.TrimPrefix(typ, "*")) {
					t.Errorf("%s has type %s, which does not marshal in the API's encoding", where, typ)
				}
				if fl.Tag == nil {
					t.Errorf("%s has no json tag", where)
					continue
				}
				tag := reflect.StructTag(strings.Trim(fl.Tag.Value, "`")).Get("json")
				if n := strings.Split(tag, ",")[0]; !memberName.MatchString(n) {
					t.Errorf("%s: JSON name %q is not snake_case", where, n)
				}
			}
			return true
		})
	}
	if fields < 100 {
		t.Fatalf("checked only %d members: did the types move?", fields)
	}
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return "*" + exprString(x.X)
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.ArrayType:
		n := ""
		if x.Len != nil {
			if b, ok := x.Len.(*ast.BasicLit); ok {
				n = b.Value
			}
		}
		return "[" + n + "]" + exprString(x.Elt)
	case *ast.MapType:
		return "map[" + exprString(x.Key) + "]" + exprString(x.Value)
	}
	return "?"
}
