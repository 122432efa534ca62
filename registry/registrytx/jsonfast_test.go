package registrytx

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// agree fails t unless parseFast and parseTokens give the same answer on
// b: the same value when both accept, and parseFast declining exactly
// what parseTokens rejects.
func agree(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		return // parseStrictJSON rejects it before either parser
	}
	fast, ok := parseFast(b)
	ref, err := parseTokens(b)
	switch {
	case ok && err != nil:
		t.Fatalf("%q: the fast parser accepted what the tokenizer rejects (%v)", b, err)
	case !ok && err == nil:
		t.Fatalf("%q: the fast parser declined valid JSON", b)
	case ok && !reflect.DeepEqual(fast, ref):
		t.Fatalf("%q: fast %#v, tokenizer %#v", b, fast, ref)
	}
}

var strictJSONSeeds = []string{
	`{}`, `[]`, `{"a":1}`, ` { "a" : [ 1 , 2.5 , -0 , 1e5 , 1E+5 , -1.25e-3 ] } `,
	`{"@context":["https://www.w3.org/2022/wot/td/v1.1"],"title":"T","properties":{"p":{"type":"number","forms":[{"href":"x"}]}}}`,
	`{"a":true,"b":false,"c":null}`, `"plain"`, `5`, `null`,
	`{"a":"\u00e9\n\t\"\\\/"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\ud800"}`, `{"\u0061":1,"a":2}`,
	`{"a":1,"a":2}`, `{"a":1,}`, `[1,]`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `[+1]`, `[1 2]`,
	`{"a" 1}`, `{a:1}`, `{"a":1}{}`, `{"a":1} x`, `[tru]`, `[truex]`, `[nul]`, `["a` + "\x01" + `"]`,
	`["\x"]`, `["\u12"]`, `["abc`, `{"a":`, ``, `   `, "\t{}\r\n", `[1true]`, `["é", "日本"]`,
	strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth),
	strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1),
	strings.Repeat("[", MaxJSONDepth) + "1" + strings.Repeat("]", MaxJSONDepth),
	strings.Repeat(`{"a":`, MaxJSONDepth) + "1" + strings.Repeat("}", MaxJSONDepth),
	strings.Repeat(`{"a":`, MaxJSONDepth+1) + "1" + strings.Repeat("}", MaxJSONDepth+1),
}

// TestParseFastAgrees: the fast parser and the tokenizer agree on valid
// and invalid documents chosen at the edges of the grammar (escapes,
// surrogates, duplicate keys spelt differently, numbers, nesting depth,
// trailing data).
func TestParseFastAgrees(t *testing.T) {
	accepted := 0
	for _, s := range strictJSONSeeds {
		agree(t, []byte(s))
		if _, ok := parseFast([]byte(s)); ok {
			accepted++
		}
	}
	if accepted < 10 || accepted > len(strictJSONSeeds)-20 {
		t.Fatalf("the fast parser accepted %d of %d seeds: the table should hold both kinds", accepted, len(strictJSONSeeds))
	}
}

// FuzzStrictJSONFast: on any input the fast parser and the tokenizer give
// the same answer (agree).
func FuzzStrictJSONFast(f *testing.F) {
	for _, s := range strictJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { agree(t, b) })
}
