package httpapi

import (
	"testing"
)

// Every POST route is idempotent, not just customers: contacts and
// onboardings replay byte for byte, and the scope is the request path.
func TestIdempotencyOnEveryPOST(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	c1, c2 := e.newCustomer(key, "One"), e.newCustomer(key, "Two")

	posts := []struct{ path, body string }{
		{"/api/v1/customers/" + c1 + "/contacts", `{"name":"Ann","email":"ann@one.example"}`},
		{"/api/v1/onboardings", `{"customer_id":"` + c1 + `"}`},
	}
	for _, p := range posts {
		first := e.do("POST", p.path, key, p.body, "Idempotency-Key: k-1")
		first.expect(t, 201, "")
		again := e.do("POST", p.path, key, p.body, "Idempotency-Key: k-1")
		again.expect(t, 201, "")
		if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%s: replay differs:\n%s\n%s (%v)", p.path, first.Body, again.Body, again.Header)
		}
		e.do("POST", p.path, key, `{"name":"other","customer_id":"`+c1+`","email":"x@one.example"}`, "Idempotency-Key: k-1").expect(t, 409,
			`{"error":{"type":"conflict","code":"idempotency_key_reused","message":"$any"}}`)
	}
	// The same key on another customer's path is a different request.
	other := e.do("POST", "/api/v1/customers/"+c2+"/contacts", key, `{"name":"Ann","email":"ann@one.example"}`, "Idempotency-Key: k-1")
	other.expect(t, 201, "")
	if other.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a key must be scoped by path")
	}
	var contacts, onboardings int
	e.store.Get(&contacts, `SELECT count(*) FROM contacts`)
	e.store.Get(&onboardings, `SELECT count(*) FROM onboardings`)
	if contacts != 2 || onboardings != 1 {
		t.Fatalf("rows: %d contacts, %d onboardings; want 2 and 1", contacts, onboardings)
	}
}
