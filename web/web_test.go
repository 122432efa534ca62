package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

// TestServesTheBuiltApp: / is the built index.html with the CSP, every
// script and stylesheet it names is served from the same origin with a
// long cache, and there is no inline script for the CSP to allow.
func TestServesTheBuiltApp(t *testing.T) {
	resp := serve(t, "GET", "/")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Fatalf("CSP allows inline code: %q", csp)
	}
	if regexp.MustCompile(`<script(?:\s+type="module")?\s*>`).Match(body) {
		t.Fatal("index.html has an inline script, which the CSP refuses")
	}
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets, want the script and the stylesheet", len(refs))
	}
	for _, ref := range refs {
		r := serve(t, "GET", ref[1])
		if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("GET %s: %s, cache %q", ref[1], r.Status, r.Header.Get("Cache-Control"))
		}
		if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") && !strings.Contains(ct, "css") {
			t.Fatalf("GET %s: content type %q", ref[1], ct)
		}
	}
}

func TestRefusesWhatIsNotThere(t *testing.T) {
	for _, p := range []string{"/nope", "/assets/", "/../web.go", "/assets/../../doc.go"} {
		if r := serve(t, "GET", p); r.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %s, want 404", p, r.Status)
		}
	}
	if r := serve(t, "DELETE", "/"); r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /: %s", r.Status)
	}
	if r := serve(t, "HEAD", "/"); r.StatusCode != 200 || r.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("HEAD /: %s", r.Status)
	}
}

func TestEmbedsOnlyTheBuild(t *testing.T) {
	err := fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && p != "index.html" && !strings.HasPrefix(p, "assets/") {
			t.Errorf("unexpected embedded file %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
