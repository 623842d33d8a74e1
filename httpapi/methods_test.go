package httpapi

import (
	"testing"
)

// Every 405 says which methods the resource does answer (RFC 9110 §15.5.6:
// a 405 MUST carry Allow), REST routes and the server's own pages alike
// (issue 10 C4).
func TestMethodNotAllowedListsAllowedMethods(t *testing.T) {
	e := newEnv(t)
	key := e.key("methods")
	cases := []struct{ method, path, allow string }{
		{"PUT", "/api/v1/customers/1", "GET, PATCH, DELETE"},
		{"PUT", "/api/v1/customers", "GET, POST"},
		{"DELETE", "/api/v1/customers/1/contacts", "GET, POST"},
		{"POST", "/api/v1/contacts/1", "GET, PATCH, DELETE"},
		{"DELETE", "/api/v1/health", "GET"},
		{"POST", "/api/v1/openapi.json", "GET"},
		{"POST", "/graphiql", "GET"},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, key, `{}`)
		r.expect(t, 405, `{"error":{"type":"invalid_request_error","code":"method_not_allowed","message":"Method `+c.method+` is not allowed on this route."}}`)
		if got := r.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}
