package httpapi

import (
	"net/url"
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

// A mutation sent with GET is refused as the GraphQL over HTTP spec says: 405
// with Allow: POST and an extensions.code, before anything runs or is charged;
// a query over GET is served. Other methods on /graphql are 405 with their
// Allow list (issue 10 C4).
func TestGraphQLMethods(t *testing.T) {
	e := newEnv(t)
	key := e.key("gqlmethods")
	before := e.fingerprint()
	q := url.Values{"query": {`mutation { createCustomer(input: {name: "Over GET"}) { customer { id } } }`}}
	r := e.do("GET", "/graphql?"+q.Encode(), key, "")
	r.expect(t, 405, `{"errors":[{"message":"A mutation cannot be sent with GET: send it with POST.",
		"extensions":{"code":"METHOD_NOT_ALLOWED","errorCode":"method_not_allowed"}}],"data":null}`)
	if got := r.Header.Get("Allow"); got != "POST" {
		t.Errorf("GET mutation: Allow %q, want POST", got)
	}
	if e.fingerprint() != before {
		t.Error("a mutation sent with GET changed the database")
	}
	q = url.Values{"query": {`{ me { workspace { slug } } }`}}
	e.do("GET", "/graphql?"+q.Encode(), key, "").expect(t, 200, `{"data":{"me":{"workspace":{"slug":"gqlmethods"}}}}`)

	for _, m := range []string{"PUT", "DELETE", "PATCH"} {
		r := e.do(m, "/graphql", key, `{"query":"{ __typename }"}`)
		r.expect(t, 405, `{"errors":[{"message":"Method `+m+` is not allowed on this route.",
			"extensions":{"code":"METHOD_NOT_ALLOWED","errorCode":"method_not_allowed"}}]}`)
		if got := r.Header.Get("Allow"); got != "GET, POST, OPTIONS" {
			t.Errorf("%s /graphql: Allow %q", m, got)
		}
	}
}

// A WebSocket upgrade on /graphql that graphql-transport-ws does not serve
// (here the legacy subscriptions-transport-ws protocol) is refused with a
// JSON body labelled as JSON, not as text/plain (issue 10 C5).
func TestGraphQLWebSocketUpgradeRefusedAsJSON(t *testing.T) {
	e := newLiveEnv(t, liveOptions{})
	key := e.key("upgrade")
	r := e.do("GET", "/graphql", key, "", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol: graphql-ws")
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	r.expect(t, 400, `{"errors":[{"message":"Only graphql-transport-ws upgrades (the graphql-ws protocol) are served, for subscriptions: send other operations with POST, or queries with GET.",
		"extensions":{"code":"BAD_USER_INPUT","errorCode":"upgrade_not_supported"}}]}`)
}
