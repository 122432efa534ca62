package devicesim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/thingchain/thingchain/api/rpc"
)

// The API conformance check: docs/api.md shows, for every method, an
// example result in a block opened by "```json result METHOD". checkAPIDocs
// calls every method on a real node whose market has run (a device checked
// in, an auction delivered) and holds each response to its example:
// every member the node sends is documented, with the same JSON type and,
// for strings, the same form (hash, public key, address, hex, text), and
// every documented member is sent by some response (sometimesAbsent lists
// the few the test cannot produce). So arrays of byte numbers, base64, a
// renamed, new or dropped member fail it.

var docResultBlock = regexp.MustCompile("(?s)```json result ([a-zA-Z.]+)\n(.*?)```")

// docResults parses the examples of docs/api.md.
func docResults(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, m := range docResultBlock.FindAllStringSubmatch(string(raw), -1) {
		var v any
		if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
			t.Fatalf("docs/api.md: example result of %s is not JSON: %v", m[1], err)
		}
		if _, dup := out[m[1]]; dup {
			t.Fatalf("docs/api.md: two example results for %s", m[1])
		}
		out[m[1]] = v
	}
	return out
}

var (
	hashForm   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	pubKeyForm = regexp.MustCompile(`^0[23][0-9a-f]{64}$`)
	addrForm   = regexp.MustCompile(`^tc[rt]?1[02-9ac-hj-np-z]{20,}$`)
	hexForm    = regexp.MustCompile(`^([0-9a-f]{2})+$`)
)

// stringForm classifies a string value.
func stringForm(s string) string {
	switch {
	case s == "":
		return "empty"
	case hashForm.MatchString(s):
		return "hash"
	case pubKeyForm.MatchString(s):
		return "pubkey"
	case addrForm.MatchString(s):
		return "address"
	case hexForm.MatchString(s):
		return "hex"
	}
	return "text"
}

// conform reports how got departs from the documented example doc.
func conform(path string, doc, got any) []string {
	if doc == nil || got == nil {
		return nil // null documents a nullable member; a null result is allowed
	}
	switch d := doc.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, docs show an object", path, got)}
		}
		if len(d) == 0 {
			return nil // {}: a free-form object (a Thing Description, metadata)
		}
		var errs []string
		names := make([]string, 0, len(g))
		for k := range g {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			dv, documented := d[k]
			if !documented {
				errs = append(errs, fmt.Sprintf("%s.%s: member not in docs/api.md", path, k))
				continue
			}
			errs = append(errs, conform(path+"."+k, dv, g[k])...)
		}
		return errs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, docs show an array", path, got)}
		}
		if len(d) == 0 {
			return nil
		}
		var errs []string
		for i, e := range g {
			errs = append(errs, conform(fmt.Sprintf("%s[%d]", path, i), d[0], e)...)
		}
		return errs
	case string:
		g, ok := got.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T %v, docs show a string", path, got, got)}
		}
		df, gf := stringForm(d), stringForm(g)
		if df != gf && gf != "empty" && df != "empty" && !(df == "text" && gf != "text") {
			return []string{fmt.Sprintf("%s: %q is %s, docs show %s (%q)", path, g, gf, df, d)}
		}
		return nil
	case float64:
		if _, ok := got.(float64); !ok {
			return []string{fmt.Sprintf("%s: got %T, docs show a number", path, got)}
		}
		return nil
	case bool:
		if _, ok := got.(bool); !ok {
			return []string{fmt.Sprintf("%s: got %T, docs show a boolean", path, got)}
		}
		return nil
	}
	return []string{fmt.Sprintf("%s: unexpected example type %T", path, doc)}
}

// memberPaths adds the path of every object member in v to out, arrays
// as "[]": "auction.get.bid_list[].status".
func memberPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out[prefix+"."+k] = true
			memberPaths(prefix+"."+k, e, out)
		}
	case []any:
		for _, e := range x {
			memberPaths(prefix+"[]", e, out)
		}
	}
}

// sometimesAbsent are documented members the node omits when empty
// (omitempty) and that the test's market does not produce: an expiry of
// 0, index 0 in a block, a biddable device's reason, a node with no
// peers, a short history.
var sometimesAbsent = regexp.MustCompile(`(\.expiry|^chain\.getTransaction\.index|^auction\.next(Many\[\])?\.reason|^node\.info\.peers.*|\.history_truncated)$`)

// documentedButUnsent lists documented members no response carried.
func documentedButUnsent(docs map[string]any, seen map[string]bool) []string {
	var out []string
	for method, ex := range docs {
		paths := map[string]bool{}
		memberPaths(method, ex, paths)
		for p := range paths {
			if !seen[p] && !sometimesAbsent.MatchString(p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// apiCall is one documented method with parameters for the test's state.
type apiCall struct {
	method string
	params any
	admin  bool
	// recorded, when set, is the method's response taken earlier, when
	// the node's state gave it something to show (auction.awaitingDelivery
	// while an auction awaited delivery); it is checked instead of a call.
	recorded json.RawMessage
}

// checkAPIDocs calls every method rpc.methods lists (each must have an
// example in docs/api.md, and the docs none the node lacks) and holds the
// responses to the examples.
func checkAPIDocs(t *testing.T, ctx context.Context, c *rpc.Client, calls []apiCall) {
	t.Helper()
	docs := docResults(t)
	var methods []rpc.MethodInfo
	if err := c.Call(ctx, "rpc.methods", nil, &methods); err != nil {
		t.Fatal(err)
	}
	served, subs := map[string]bool{}, map[string]bool{}
	for _, m := range methods {
		if _, ok := docs[m.Name]; !ok {
			t.Errorf("docs/api.md has no example result for %s", m.Name)
		}
		if m.Subscription {
			subs[m.Name] = true
			continue
		}
		served[m.Name] = true
	}
	for name := range docs {
		if !served[name] && !subs[name] {
			t.Errorf("docs/api.md documents %s, which the node does not serve", name)
		}
	}
	called, seen := map[string]bool{}, map[string]bool{}
	dump := map[string]json.RawMessage{}
	for _, call := range calls {
		got := call.recorded
		if got == nil {
			if err := c.Call(ctx, call.method, call.params, &got); err != nil {
				t.Errorf("%s: %v", call.method, err)
				continue
			}
		}
		called[call.method] = true
		dump[call.method] = got
		var v any
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatal(err)
		}
		if v == nil {
			t.Errorf("%s returned null: the test must call it on a record that exists", call.method)
		}
		for _, e := range conform(call.method, docs[call.method], v) {
			t.Errorf("docs/api.md and the node disagree: %s", e)
		}
		memberPaths(call.method, v, seen)
	}
	checkSubscriptionDocs(t, ctx, c, docs, subs, seen)
	for _, p := range documentedButUnsent(docs, seen) {
		t.Errorf("docs/api.md shows %s, which no response carried", p)
	}
	for name := range served {
		if !called[name] {
			t.Errorf("the conformance check does not call %s", name)
		}
	}
	if path := os.Getenv("THINGCHAIN_API_DUMP"); path != "" {
		b, _ := json.MarshalIndent(dump, "", "  ")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkSubscriptionDocs subscribes over WebSocket to every subscription
// the node offers, causes one event of each (an auction block, a pending
// faucet transfer) and holds the notification to the docs' example.
func checkSubscriptionDocs(t *testing.T, ctx context.Context, c *rpc.Client, docs map[string]any, subs, seen map[string]bool) {
	t.Helper()
	var info struct {
		RPC string `json:"rpc"`
	}
	if err := c.Call(ctx, "node.info", nil, &info); err != nil {
		t.Fatal(err)
	}
	ws, err := rpc.Dial(ctx, "ws"+strings.TrimPrefix(info.RPC, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	cause := map[string]func(){
		"newHeads": func() {
			var hashes []string
			if err := c.Call(ctx, "admin.generate", map[string]any{"chain": "auction", "count": 1}, &hashes); err != nil {
				t.Fatal(err)
			}
		},
		"newPendingTransactions": func() {
			var addr struct {
				Reward string `json:"reward"`
			}
			if err := c.Call(ctx, "node.info", nil, &addr); err != nil {
				t.Fatal(err)
			}
			if err := c.Call(ctx, "faucet.request", map[string]any{"address": addr.Reward, "amount": 1}, nil); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name := range subs {
		do, ok := cause[name]
		if !ok {
			t.Errorf("the conformance check cannot cause a %s notification", name)
			continue
		}
		ch, stop, err := ws.Subscribe(ctx, name, "auction")
		if err != nil {
			t.Fatalf("subscribe %s: %v", name, err)
		}
		do()
		select {
		case raw, ok := <-ch:
			if !ok {
				t.Fatalf("%s subscription ended", name)
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			for _, e := range conform(name, docs[name], v) {
				t.Errorf("docs/api.md and the node disagree: %s", e)
			}
			memberPaths(name, v, seen)
		case <-ctx.Done():
			t.Fatalf("no %s notification", name)
		}
		stop()
	}
}
