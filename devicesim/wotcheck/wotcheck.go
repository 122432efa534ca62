package wotcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Options configure a check.
type Options struct {
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
	// Authorization is sent as the Authorization header on every
	// affordance request (e.g. "Bearer KEY"); "" sends none.
	Authorization string
	// Now is the time URI variables of format date-time are derived from
	// (nil: time.Now).
	Now func() time.Time
}

// Result is the outcome of one interaction.
type Result struct {
	Affordance string `json:"affordance"` // "properties/NAME", "actions/NAME", "events/NAME" or "thing"
	Op         string `json:"op"`
	Method     string `json:"method,omitempty"`
	URL        string `json:"url,omitempty"`
	Status     int    `json:"status,omitempty"`
	OK         bool   `json:"ok"`
	Skipped    bool   `json:"skipped,omitempty"`
	Detail     string `json:"detail,omitempty"` // why it failed or was skipped
}

// Report lists every interaction of a check.
type Report struct {
	Title   string   `json:"title"`
	Results []Result `json:"results"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"`
}

// Err returns an error listing the failed interactions, or nil.
func (r *Report) Err() error {
	var msgs []string
	for _, res := range r.Results {
		if !res.OK && !res.Skipped {
			msgs = append(msgs, fmt.Sprintf("%s %s %s: %s", res.Affordance, res.Op, res.URL, res.Detail))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d interactions failed:\n  %s", len(msgs), r.Passed+r.Failed, strings.Join(msgs, "\n  "))
}

// FetchTD reads a Thing Description from url.
func FetchTD(ctx context.Context, url string, opts Options) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/td+json, application/json")
	resp, err := opts.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the Thing Description: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching the Thing Description: %s: %s", resp.Status, truncate(string(b)))
	}
	return b, nil
}

func (o Options) client() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Check exercises every affordance of a TD.
func Check(ctx context.Context, tdBytes []byte, opts Options) (*Report, error) {
	td, err := decodeObject(tdBytes)
	if err != nil {
		return nil, fmt.Errorf("thing description: %w", err)
	}
	rep := &Report{}
	rep.Title, _ = td["title"].(string)
	base, _ := td["base"].(string)
	props, _ := td["properties"].(map[string]any)
	actions, _ := td["actions"].(map[string]any)
	events, _ := td["events"].(map[string]any)

	for _, name := range sortedKeys(props) {
		p, _ := props[name].(map[string]any)
		if p == nil {
			continue
		}
		if wo, _ := p["writeOnly"].(bool); wo {
			rep.add(Result{Affordance: "properties/" + name, Op: "readproperty", Skipped: true, Detail: "writeOnly property"})
			continue
		}
		form, ok := findForm(p, "readproperty", []string{"readproperty", "writeproperty"})
		if !ok {
			rep.add(Result{Affordance: "properties/" + name, Op: "readproperty", Detail: "no form with op readproperty"})
			continue
		}
		rep.add(opts.interact(ctx, "properties/"+name, "readproperty", base, form, "GET", nil, nil, func(v any) error {
			return Validate(v, p)
		}))
	}
	for _, form := range formsWithOp(td, "readallproperties") {
		rep.add(opts.interact(ctx, "thing", "readallproperties", base, form, "GET", nil, nil, func(v any) error {
			obj, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("readallproperties returned %s, want an object of property name → value", jsonType(v))
			}
			for _, name := range sortedKeys(props) {
				p, _ := props[name].(map[string]any)
				if wo, _ := p["writeOnly"].(bool); wo {
					continue
				}
				val, ok := obj[name]
				if !ok {
					return fmt.Errorf("readallproperties lacks property %q", name)
				}
				if err := Validate(val, p); err != nil {
					return fmt.Errorf("property %q: %w", name, err)
				}
			}
			return nil
		}))
	}
	for _, name := range sortedKeys(actions) {
		a, _ := actions[name].(map[string]any)
		if a == nil {
			continue
		}
		aff := "actions/" + name
		if safe, _ := a["safe"].(bool); !safe {
			rep.add(Result{Affordance: aff, Op: "invokeaction", Skipped: true, Detail: "not marked safe: a check does not change a device's state"})
			continue
		}
		form, ok := findForm(a, "invokeaction", []string{"invokeaction"})
		if !ok {
			rep.add(Result{Affordance: aff, Op: "invokeaction", Detail: "no form with op invokeaction"})
			continue
		}
		vars, _ := a["uriVariables"].(map[string]any)
		var body any
		input, hasInput := a["input"].(map[string]any)
		if hasInput {
			body = Example(input, opts.now())
		}
		output, hasOutput := a["output"].(map[string]any)
		rep.add(opts.interact(ctx, aff, "invokeaction", base, form, "POST", vars, body, func(v any) error {
			if !hasOutput {
				return nil
			}
			return Validate(v, output)
		}))
	}
	for _, name := range sortedKeys(events) {
		rep.add(Result{Affordance: "events/" + name, Op: "subscribeevent", Skipped: true, Detail: "events need a subscription protocol; not exercised"})
	}
	return rep, nil
}

func (r *Report) add(res Result) {
	switch {
	case res.Skipped:
		r.Skipped++
	case res.OK:
		r.Passed++
	default:
		r.Failed++
	}
	r.Results = append(r.Results, res)
}

// interact sends one request through a form and validates the JSON reply.
func (o Options) interact(ctx context.Context, aff, op, base string, form map[string]any, defaultMethod string, vars map[string]any, body any, validate func(any) error) Result {
	res := Result{Affordance: aff, Op: op}
	href, _ := form["href"].(string)
	if ct, ok := form["contentType"].(string); ok && !strings.HasPrefix(ct, "application/json") && !strings.HasSuffix(ct, "+json") {
		res.Skipped, res.Detail = true, "contentType "+ct+" is not JSON"
		return res
	}
	expanded, err := expandTemplate(href, vars, o.now())
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	u, err := resolve(base, expanded)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	res.URL = u
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		res.Skipped, res.Detail = true, "not an HTTP form"
		return res
	}
	method := defaultMethod
	if m, ok := form["htv:methodName"].(string); ok && m != "" {
		method = m
	}
	res.Method = method
	var rd io.Reader
	if body != nil && method != "GET" {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if o.Authorization != "" {
		req.Header.Set("Authorization", o.Authorization)
	}
	resp, err := o.client().Do(req)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.Detail = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, truncate(string(b)))
		return res
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		res.Detail = "reply is not JSON: " + err.Error()
		return res
	}
	if dec.More() {
		res.Detail = "reply has data after its JSON value"
		return res
	}
	if err := validate(v); err != nil {
		res.Detail = err.Error()
		return res
	}
	res.OK = true
	return res
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// findForm returns the first form whose op includes want; a form without
// op has the affordance kind's default ops.
func findForm(aff map[string]any, want string, defaults []string) (map[string]any, bool) {
	forms, _ := aff["forms"].([]any)
	for _, f := range forms {
		form, ok := f.(map[string]any)
		if !ok {
			continue
		}
		if slices.Contains(opsOf(form, defaults), want) {
			return form, true
		}
	}
	return nil, false
}

func formsWithOp(aff map[string]any, want string) []map[string]any {
	var out []map[string]any
	forms, _ := aff["forms"].([]any)
	for _, f := range forms {
		if form, ok := f.(map[string]any); ok && slices.Contains(opsOf(form, nil), want) {
			out = append(out, form)
		}
	}
	return out
}

func opsOf(form map[string]any, defaults []string) []string {
	switch op := form["op"].(type) {
	case string:
		return []string{op}
	case []any:
		var out []string
		for _, o := range op {
			if s, ok := o.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return defaults
}

// expandTemplate expands the RFC 6570 forms TDs use for uriVariables:
// {var} (simple) and {?a,b} / {&a,b} (form-style query). Values come from
// Example of each variable's schema; date-time variables get increasing
// times in template order (the last one is now, earlier ones an hour
// apart), so from/to style ranges are well ordered.
func expandTemplate(href string, vars map[string]any, now time.Time) (string, error) {
	var names []string
	for rest := href; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("href %q: unclosed {", href)
		}
		expr := strings.TrimLeft(rest[i+1:i+j], "?&")
		names = append(names, strings.Split(expr, ",")...)
		rest = rest[i+j+1:]
	}
	values := map[string]string{}
	dateTimes := 0
	for _, n := range names {
		if s, ok := vars[n].(map[string]any); ok && s["format"] == "date-time" {
			dateTimes++
		}
	}
	seen := 0
	for _, n := range names {
		s, ok := vars[n].(map[string]any)
		if !ok {
			return "", fmt.Errorf("href %q uses {%s}, which uriVariables does not declare", href, n)
		}
		var v any
		if s["format"] == "date-time" {
			seen++
			v = now.Add(-time.Duration(dateTimes-seen) * time.Hour).UTC().Format(time.RFC3339)
		} else {
			v = Example(s, now)
		}
		values[n] = fmt.Sprint(v)
	}
	var out strings.Builder
	for rest := href; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			out.WriteString(rest)
			break
		}
		out.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		raw := rest[i+1 : i+j]
		switch {
		case strings.HasPrefix(raw, "?") || strings.HasPrefix(raw, "&"):
			sep := raw[:1]
			for k, n := range strings.Split(raw[1:], ",") {
				if k > 0 {
					sep = "&"
				}
				out.WriteString(sep + url.QueryEscape(n) + "=" + url.QueryEscape(values[n]))
			}
		default:
			out.WriteString(url.PathEscape(values[raw]))
		}
		rest = rest[i+j+1:]
	}
	return out.String(), nil
}

func resolve(base, href string) (string, error) {
	h, err := url.Parse(href)
	if err != nil {
		return "", fmt.Errorf("href %q: %w", href, err)
	}
	if base == "" {
		return h.String(), nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("base %q: %w", base, err)
	}
	return b.ResolveReference(h).String(), nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
