package consensus

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// allKinds lists every ErrorKind constant of the package by name.
// TestErrorKindTableComplete keeps it in step with the source.
var allKinds = map[string]ErrorKind{
	"ErrMalformed": ErrMalformed, "ErrBlockTooBig": ErrBlockTooBig, "ErrTooManyTxs": ErrTooManyTxs,
	"ErrWrongChain": ErrWrongChain, "ErrBadVersion": ErrBadVersion, "ErrBitsOutOfRange": ErrBitsOutOfRange,
	"ErrHighHash": ErrHighHash, "ErrBadMinerSig": ErrBadMinerSig, "ErrBadTxRoot": ErrBadTxRoot,
	"ErrDuplicateTx": ErrDuplicateTx, "ErrTxWrongChain": ErrTxWrongChain, "ErrTxBadSig": ErrTxBadSig,
	"ErrTxTooLarge": ErrTxTooLarge, "ErrBadHeight": ErrBadHeight, "ErrUnexpectedBits": ErrUnexpectedBits,
	"ErrTimeTooOld": ErrTimeTooOld, "ErrTimeTooNew": ErrTimeTooNew, "ErrMinerNotAdmitted": ErrMinerNotAdmitted,
	"ErrBadAnchor": ErrBadAnchor, "ErrBadStateRoot": ErrBadStateRoot, "ErrTxExpired": ErrTxExpired,
	"ErrBadNonce": ErrBadNonce, "ErrDuplicateBlock": ErrDuplicateBlock, "ErrInvalidAncestor": ErrInvalidAncestor,
}

func TestErrorKindStringIsName(t *testing.T) {
	seen := map[string]string{}
	for name, k := range allKinds {
		if got := k.Error(); got != name {
			t.Errorf("%s.Error() = %q, want %q", name, got, name)
		}
		if other, dup := seen[k.Error()]; dup {
			t.Errorf("%s and %s share the string %q", name, other, k.Error())
		}
		seen[k.Error()] = name
	}
}

// TestErrorKindTableComplete parses the package source so that a kind added
// to error.go (or any other file) without a matching name fails here too.
func TestErrorKindTableComplete(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range entries {
		fname := e.Name()
		if !strings.HasSuffix(fname, ".go") || strings.HasSuffix(fname, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, fname, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				call, ok := vs.Values[i].(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					continue
				}
				if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "ErrorKind" {
					continue
				}
				found++
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok {
					t.Errorf("%s: ErrorKind argument is not a string literal", name.Name)
					continue
				}
				s, _ := strconv.Unquote(lit.Value)
				if s != name.Name {
					t.Errorf("const %s = ErrorKind(%q): string differs from the name", name.Name, s)
				}
				if _, ok := allKinds[name.Name]; !ok {
					t.Errorf("const %s missing from allKinds", name.Name)
				}
			}
			return true
		})
	}
	if found != len(allKinds) {
		t.Errorf("source declares %d ErrorKind constants, table has %d", found, len(allKinds))
	}
}

func TestRuleErrorWrapsKind(t *testing.T) {
	for name, k := range allKinds {
		err := error(RuleErrorf(k, "detail %d", 1))
		if !errors.Is(err, k) {
			t.Errorf("%s: errors.Is(RuleError, kind) is false", name)
		}
		var re RuleError
		if !errors.As(err, &re) || re.Kind != k || re.Description != "detail 1" {
			t.Errorf("%s: errors.As gave %+v", name, re)
		}
		var kind ErrorKind
		if !errors.As(err, &kind) || kind != k {
			t.Errorf("%s: errors.As(ErrorKind) gave %q", name, kind)
		}
		// Wrapped again by a caller, the kind must still be found.
		wrapped := fmt.Errorf("block 7: %w", err)
		if !errors.Is(wrapped, k) || !errors.As(wrapped, &re) || re.Kind != k {
			t.Errorf("%s: kind lost through fmt.Errorf %%w", name)
		}
		for otherName, other := range allKinds {
			if otherName != name && errors.Is(err, other) {
				t.Errorf("RuleError of %s matches %s", name, otherName)
			}
		}
	}
}

func TestRuleErrorfFormatting(t *testing.T) {
	cases := []struct {
		err  RuleError
		want string
	}{
		{RuleErrorf(ErrHighHash, "hash %d", 7), "ErrHighHash: hash 7"},
		{RuleErrorf(ErrBadHeight, "height %d, want %d", 5, 6), "ErrBadHeight: height 5, want 6"},
		{RuleErrorf(ErrDuplicateBlock, "no args"), "ErrDuplicateBlock: no args"},
		{RuleErrorf(ErrBadNonce, "%s/%q/%x", "a", "b", 255), `ErrBadNonce: a/"b"/ff`},
		{RuleErrorf(ErrMalformed, "100%%"), "ErrMalformed: 100%"},
		{RuleError{Kind: ErrInvalidAncestor}, "ErrInvalidAncestor: "},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
	if re := RuleErrorf(ErrBadNonce, "n=%d", 3); re.Kind != ErrBadNonce || re.Description != "n=3" {
		t.Errorf("fields: %+v", re)
	}
}

func TestAssertError(t *testing.T) {
	err := error(AssertError("tip missing"))
	if err.Error() != "assertion failed: tip missing" {
		t.Errorf("AssertError = %q", err.Error())
	}
	for name, k := range allKinds {
		if errors.Is(err, k) {
			t.Errorf("AssertError matches rule kind %s", name)
		}
	}
}
