package registrytx

import (
	"encoding/json"
)

// parseFast is parseStrictJSON's fast path for valid UTF-8: a one-pass
// parser of RFC 8259 JSON that builds the same values as parseTokens
// (nil, bool, json.Number with the literal's text, string, []any,
// *object) with the same depth and duplicate-key rules, without
// encoding/json's tokenizer (which allocates for every token and was
// most of a check-in's sanity time). It declines (ok false) on anything
// it does not accept, and parseStrictJSON then asks parseTokens, so a
// document is accepted, and any error worded, exactly as before:
// FuzzStrictJSONFast holds the two parsers to the same answer.
func parseFast(b []byte) (v any, ok bool) {
	p := fastParser{b: b}
	if v, ok = p.value(0); !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.b)
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether c comes next, consuming it.
func (p *fastParser) next(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *fastParser) value(depth int) (any, bool) {
	if depth > MaxJSONDepth {
		return nil, false
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, false
	}
	switch p.b[p.i] {
	case '{':
		p.i++
		o := &object{vals: map[string]any{}}
		if p.next('}') {
			return o, true
		}
		for {
			p.space()
			k, ok := p.str()
			if !ok {
				return nil, false
			}
			if _, dup := o.vals[k]; dup || !p.next(':') {
				return nil, false
			}
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			o.keys = append(o.keys, k)
			o.vals[k] = v
			if p.next(',') {
				continue
			}
			return o, p.next('}')
		}
	case '[':
		p.i++
		arr := []any{}
		if p.next(']') {
			return arr, true
		}
		for {
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			arr = append(arr, v)
			if p.next(',') {
				continue
			}
			return arr, p.next(']')
		}
	case '"':
		return p.str()
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case 'n':
		return nil, p.literal("null")
	}
	return p.number()
}

func (p *fastParser) literal(word string) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

// str reads a string at p.i. Strings without escapes are taken as they
// are (the input is valid UTF-8); the few with escapes are unquoted by
// encoding/json, as parseTokens unquotes them.
func (p *fastParser) str() (string, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i
	escaped := false
	for j := start + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			if !escaped {
				return string(p.b[start+1 : j]), true
			}
			var s string
			if json.Unmarshal(p.b[start:p.i], &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// number reads an RFC 8259 number and keeps its text.
func (p *fastParser) number() (any, bool) {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return nil, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, false
		}
	}
	return json.Number(p.b[start:p.i]), true
}

func (p *fastParser) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}
