package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"testing"
)

// apqExtensions is the extensions object of an automatic persisted query.
func apqExtensions(query string) map[string]any {
	sum := sha256.Sum256([]byte(query))
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
}

// apq posts a GraphQL request with the persisted-query extension of query;
// the query text itself is sent only when withQuery.
func (e *env) apq(key, query string, withQuery bool, vars map[string]any, headers ...string) response {
	e.t.Helper()
	body := map[string]any{"extensions": apqExtensions(query), "variables": vars}
	if withQuery {
		body["query"] = query
	}
	b, _ := json.Marshal(body)
	return e.do("POST", "/graphql", key, string(b), headers...)
}

// TestPersistedQueries runs automatic persisted queries the way Apollo's
// client does, against one long-lived server, so that the cache is the one
// production uses: a hash alone is unknown at first, the hash with its query
// registers it, and from then on the hash alone runs it, over POST and GET.
func TestPersistedQueries(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	e.newCustomer(key, "Aurora")
	query := `query($n: Int) { customers(first: $n) { nodes { name } } }`
	vars := map[string]any{"n": 5}
	want := `{"data":{"customers":{"nodes":[{"name":"Aurora"}]}}}`

	e.apq(key, query, false, vars).expect(t, 200,
		`{"errors":[{"message":"PersistedQueryNotFound","extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}],"data":null}`)
	e.apq(key, query, true, vars).expect(t, 200, want)
	for i := 0; i < 2; i++ {
		e.apq(key, query, false, vars).expect(t, 200, want)
	}
	ext, _ := json.Marshal(apqExtensions(query))
	e.do("GET", "/graphql?"+url.Values{"extensions": {string(ext)}, "variables": {`{"n":5}`}}.Encode(), key, "").expect(t, 200, want)

	// A hash that is not the query's is refused, and registers nothing.
	other := `{ customers { nodes { id } } }`
	b, _ := json.Marshal(map[string]any{"query": other, "extensions": apqExtensions(query + " ")})
	e.do("POST", "/graphql", key, string(b)).expect(t, 200,
		`{"errors":[{"message":"provided APQ hash does not match query","extensions":{"code":"BAD_USER_INPUT","errorCode":"invalid_request"}}],"data":null}`)
	e.apq(key, query+" ", false, vars).expect(t, 200,
		`{"errors":[{"message":"PersistedQueryNotFound","extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}],"data":null}`)
}

// TestPersistedMutationIdempotency: a mutation sent as a hash alone is still a
// mutation to the idempotency layer (it looks the query up in the same cache):
// a retry with the same Idempotency-Key replays the first answer and writes
// nothing, and another body with the key is refused.
func TestPersistedMutationIdempotency(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	mutation := `mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id name } } }`
	e.apq(key, mutation, true, map[string]any{"n": "Registered"}).expect(t, 200,
		`{"data":{"createCustomer":{"customer":{"id":"$cuid","name":"Registered"}}}}`)

	once := map[string]any{"n": "Once"}
	first := e.apq(key, mutation, false, once, "Idempotency-Key: apq-1")
	first.expect(t, 200, `{"data":{"createCustomer":{"customer":{"id":"$cuid","name":"Once"}}}}`)
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the first request is marked replayed")
	}
	again := e.apq(key, mutation, false, once, "Idempotency-Key: apq-1")
	if again.Status != 200 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry of a hash-only mutation: %d %v %s, want the first answer replayed: %s",
			again.Status, again.Header, again.Body, first.Body)
	}
	if n := e.count(`SELECT count(*) FROM customers WHERE name = 'Once'`); n != 1 {
		t.Fatalf("%d customers written for one idempotency key, want 1", n)
	}
	e.apq(key, mutation, false, map[string]any{"n": "Other"}, "Idempotency-Key: apq-1").expect(t, 409,
		`{"errors":[{"message":"$any","extensions":{"code":"CONFLICT","errorCode":"idempotency_key_reused"}}]}`)
	if n := e.count(`SELECT count(*) FROM customers WHERE name = 'Other'`); n != 0 {
		t.Fatalf("a refused reuse of the key wrote")
	}
}
