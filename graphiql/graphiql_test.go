package graphiql

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(ui *UI, path string, header ...string) *http.Response {
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	if path == "/graphiql" {
		ui.ServePage(w, req)
	} else {
		ui.ServeAsset(w, req)
	}
	return w.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var config = regexp.MustCompile(`<script id="pivotal-graphiql-config" type="application/json">(.*)</script>`)

func TestPage(t *testing.T) {
	ui := New(Options{Headers: map[string]string{"Authorization": "Bearer k</script><script>alert(1)</script>"}, Schema: "type Query { a: Int }"})
	r := serve(ui, "/graphiql")
	page := body(t, r)
	for name, want := range map[string]string{
		"Content-Security-Policy": ContentSecurityPolicy, "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe") || !strings.Contains(ContentSecurityPolicy, "default-src 'none'") {
		t.Errorf("the policy is not strict: %s", ContentSecurityPolicy)
	}
	// Everything the page names lives on the server (or is a data: URL).
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "/graphiql/assets/") && !strings.HasPrefix(m[1], "data:") {
			t.Errorf("the page loads %s", m[1])
		}
	}
	// The settings cannot end their script element, whatever they hold.
	if strings.Count(page, "</script>") != 2 {
		t.Fatalf("a header value broke out of the settings:\n%s", page)
	}
	m := config.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no settings in the page:\n%s", page)
	}
	var got struct {
		Endpoint, DefaultQuery, Schema string
		Headers                        map[string]string
	}
	if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Endpoint != "/graphql" || got.DefaultQuery != DashboardQuery || got.Schema != "type Query { a: Int }" ||
		got.Headers["Authorization"] != "Bearer k</script><script>alert(1)</script>" {
		t.Errorf("settings: %+v", got)
	}

	// Without headers the page carries none.
	if page := body(t, serve(New(Options{}), "/graphiql")); !strings.Contains(page, `"headers":null`) {
		t.Errorf("a page without headers:\n%s", page)
	}
}

func TestAssets(t *testing.T) {
	ui := New(Options{})
	page := body(t, serve(ui, "/graphiql"))
	for _, tc := range []struct{ name, ctype string }{
		{"graphiql.js", "text/javascript; charset=utf-8"},
		{"graphiql.css", "text/css; charset=utf-8"},
		{"THIRD_PARTY_NOTICES.txt", "text/plain; charset=utf-8"},
	} {
		path := "/graphiql/assets/" + tc.name + "?v=" + ui.version[tc.name]
		if tc.name != "THIRD_PARTY_NOTICES.txt" && !strings.Contains(page, path) {
			t.Errorf("the page does not name %s", path)
		}
		r := serve(ui, path)
		b := body(t, r)
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != tc.ctype || len(b) < 1000 ||
			r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d %v (%d bytes)", path, r.StatusCode, r.Header, len(b))
		}
		// An old version is not cached for good; a known one is not sent again.
		if r := serve(ui, "/graphiql/assets/"+tc.name+"?v=old"); r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s?v=old: Cache-Control %q", tc.name, r.Header.Get("Cache-Control"))
		}
		if r := serve(ui, path, "If-None-Match", r.Header.Get("ETag")); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d", tc.name, r.StatusCode)
		}
	}
	for _, bad := range []string{"/graphiql/assets/nope.js", "/graphiql/assets/", "/graphiql/assets/..%2fgraphiql.go"} {
		if r := serve(ui, bad); r.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", bad, r.StatusCode)
		}
	}
	// The bundle names no other host: it fetches from the page's origin only.
	js := body(t, serve(ui, "/graphiql/assets/graphiql.js"))
	for _, cdn := range []string{"unpkg.com", "cdn.jsdelivr.net", "esm.sh", "cdnjs"} {
		if strings.Contains(js, cdn) {
			t.Errorf("the bundle mentions %s", cdn)
		}
	}
}
