package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"pivotal/resolvers"
)

func TestCORS(t *testing.T) {
	e := newEnv(t)
	log := slog.New(slog.NewJSONHandler(logSink, nil))
	h := New(resolvers.New(e.store, log), log, Options{CORSOrigins: []string{"https://dash.example"}})
	key := e.key("acme")
	call := func(h http.Handler, method, path, origin string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(`{"query":"{ me { livemode } }"}`))
		req.Header.Set("Origin", origin)
		for _, kv := range headers {
			k, v, _ := strings.Cut(kv, ": ")
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	// A preflight needs no key.
	for _, path := range []string{"/graphql", "/api/v1/customers"} {
		pre := call(h, "OPTIONS", path, "https://dash.example", "Access-Control-Request-Method: POST",
			"Access-Control-Request-Headers: authorization, content-type, idempotency-key")
		if pre.Code != http.StatusOK && pre.Code != http.StatusNoContent {
			t.Fatalf("preflight %s: %d %s", path, pre.Code, pre.Body)
		}
		if got := pre.Header().Get("Access-Control-Allow-Origin"); got != "https://dash.example" {
			t.Fatalf("preflight %s: Allow-Origin %q", path, got)
		}
		allowed := strings.ToLower(pre.Header().Get("Access-Control-Allow-Headers"))
		for _, want := range []string{"authorization", "content-type", "idempotency-key"} {
			if !strings.Contains(allowed, want) {
				t.Fatalf("preflight %s: Allow-Headers %q lacks %s", path, allowed, want)
			}
		}
	}
	// The actual request exposes the headers scripts need.
	r := call(h, "POST", "/graphql", "https://dash.example", "Authorization: Bearer "+key, "Content-Type: application/json")
	if r.Code != 200 || r.Header().Get("Access-Control-Allow-Origin") != "https://dash.example" {
		t.Fatalf("request: %d %v", r.Code, r.Header())
	}
	exposed := r.Header().Get("Access-Control-Expose-Headers")
	for _, want := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "Retry-After", "X-Request-Id", "Idempotent-Replayed"} {
		if !strings.Contains(strings.ToLower(exposed), strings.ToLower(want)) {
			t.Fatalf("Expose-Headers %q lacks %s", exposed, want)
		}
	}
	// Another origin gets no grant.
	other := call(h, "OPTIONS", "/graphql", "https://evil.example", "Access-Control-Request-Method: POST")
	if other.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign origin allowed")
	}
	// No origins configured: no CORS at all.
	plain := call(e.srv.Config.Handler, "POST", "/graphql", "https://dash.example", "Authorization: Bearer "+key, "Content-Type: application/json")
	if plain.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS without configured origins")
	}
}
