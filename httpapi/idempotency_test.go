package httpapi

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/auth/leaktest"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

// count runs a count(*) query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.store.Get(&n, query, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

const keyInUse = `{"error":{"type":"conflict","code":"idempotency_key_in_use","message":"A request with this Idempotency-Key is still in progress. Retry shortly."}}`
const keyReused = `{"error":{"type":"conflict","code":"idempotency_key_reused","message":"This Idempotency-Key was already used with a different request body."}}`

func TestIdempotentReplay(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	body := `{"name":"Aurora","metadata":{"b":1,"a":2}}`
	first := e.do("POST", "/api/v1/customers", key, body, "Idempotency-Key: k-1")
	first.expect(t, 201, `{"object":"customer","id":"$cuid","display_id":1,"name":"Aurora","slug":"aurora",`+
		strings.Replace(customerDefaults, `"metadata":{}`, `"metadata":{"b":1,"a":2}`, 1)+`}`)
	if h := first.Header.Get("Idempotent-Replayed"); h != "" {
		t.Errorf("first response says Idempotent-Replayed: %q", h)
	}
	for i := 0; i < 2; i++ {
		again := e.do("POST", "/api/v1/customers", key, body, "Idempotency-Key: k-1")
		if again.Status != 201 || string(again.Body) != string(first.Body) {
			t.Fatalf("replay: %d %s\nwant 201 %s", again.Status, again.Body, first.Body)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Content-Type") != "application/json" {
			t.Errorf("replay headers: %v", again.Header)
		}
	}
	if n := e.count(`SELECT count(*) FROM customers`); n != 1 {
		t.Fatalf("%d customers, want 1", n)
	}
	// Without a key, the same body creates again.
	e.do("POST", "/api/v1/customers", key, body).expect(t, 201, "")

	// Same key, another body: 409, nothing written.
	e.do("POST", "/api/v1/customers", key, `{"name":"Birch"}`, "Idempotency-Key: k-1").expect(t, 409, keyReused)
	e.do("POST", "/api/v1/customers", key, `{"name":"Aurora", "metadata":{"b":1,"a":2}}`, "Idempotency-Key: k-1").expect(t, 409, keyReused)
	if n := e.count(`SELECT count(*) FROM customers`); n != 2 {
		t.Fatalf("%d customers, want 2", n)
	}

	// A restart: a new handler and resolver over the same database replays.
	log := slog.New(slog.NewJSONHandler(logSink, nil))
	srv2 := httptest.NewServer(New(resolvers.New(e.store, log), log, Options{}))
	defer srv2.Close()
	e2 := &env{t: t, store: e.store, res: e.res, srv: srv2}
	again := e2.do("POST", "/api/v1/customers", key, body, "Idempotency-Key: k-1")
	if again.Status != 201 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay after restart: %d %v %s", again.Status, again.Header, again.Body)
	}
}

// TestIdempotentConcurrent: 20 identical POSTs at once with one key create one
// customer; every other answer is the replay or 409 idempotency_key_in_use.
func TestIdempotentConcurrent(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	const n = 20
	var wg sync.WaitGroup
	res := make([]response, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			res[i] = e.do("POST", "/api/v1/customers", key, `{"name":"Concurrent"}`, "Idempotency-Key: same")
		}(i)
	}
	close(start)
	wg.Wait()
	var created, replayed, inUse int
	var body string
	for _, r := range res {
		switch {
		case r.Status == 201 && r.Header.Get("Idempotent-Replayed") == "true":
			replayed++
		case r.Status == 201:
			created++
		case r.Status == 409:
			r.expect(t, 409, keyInUse)
			inUse++
			continue
		default:
			t.Fatalf("unexpected answer %d %s", r.Status, r.Body)
		}
		if body == "" {
			body = string(r.Body)
		} else if string(r.Body) != body {
			t.Fatalf("two different 201 bodies:\n%s\n%s", body, r.Body)
		}
	}
	t.Logf("created %d, replayed %d, in use %d", created, replayed, inUse)
	if created != 1 || created+replayed+inUse != n {
		t.Fatalf("created %d, replayed %d, in use %d", created, replayed, inUse)
	}
	if c := e.count(`SELECT count(*) FROM customers`); c != 1 {
		t.Fatalf("%d customers, want 1", c)
	}
	// Afterwards, every repeat replays.
	r := e.do("POST", "/api/v1/customers", key, `{"name":"Concurrent"}`, "Idempotency-Key: same")
	if r.Status != 201 || string(r.Body) != body || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("repeat: %d %s", r.Status, r.Body)
	}
}

// TestIdempotencyScope: a key is scoped by workspace, method and path.
func TestIdempotencyScope(t *testing.T) {
	e := newEnv(t)
	acme, other := e.key("acme"), e.key("other")
	a := e.do("POST", "/api/v1/customers", acme, `{"name":"Scoped"}`, "Idempotency-Key: shared")
	a.expect(t, 201, "")
	b := e.do("POST", "/api/v1/customers", other, `{"name":"Scoped"}`, "Idempotency-Key: shared")
	b.expect(t, 201, "")
	if b.Header.Get("Idempotent-Replayed") != "" || b.str(t, "id") == a.str(t, "id") {
		t.Fatalf("another workspace got the replay: %s", b.Body)
	}
	// A second key of the same workspace shares the workspace's keys.
	acme2 := e.key("acme", "second key")
	r := e.do("POST", "/api/v1/customers", acme2, `{"name":"Scoped"}`, "Idempotency-Key: shared")
	if r.Header.Get("Idempotent-Replayed") != "true" || string(r.Body) != string(a.Body) {
		t.Fatalf("same workspace, other key: %d %s", r.Status, r.Body)
	}
	// Another path is another scope, even when the route is the same.
	c := e.do("POST", "/api/v1/customers/", acme, `{"name":"Scoped"}`, "Idempotency-Key: shared")
	c.expect(t, 201, "")
	if c.Header.Get("Idempotent-Replayed") != "" || c.str(t, "slug") != "scoped-2" {
		t.Fatalf("other path: %s", c.Body)
	}
	// And so is GraphQL's endpoint.
	g := e.gql(acme, `mutation { createCustomer(input: {name: "Scoped"}) { customer { slug } } }`, nil, "Idempotency-Key: shared")
	g.expect(t, 200, `{"data":{"createCustomer":{"customer":{"slug":"scoped-3"}}}}`)
	// The key is ignored on other methods.
	e.do("GET", "/api/v1/customers/1", acme, "", "Idempotency-Key: shared").expect(t, 200, "")
	if n := e.count(`SELECT count(*) FROM idempotency_keys`); n != 4 {
		t.Fatalf("%d stored keys, want 4", n)
	}
}

func TestIdempotencyKeyBounds(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	e.do("POST", "/api/v1/customers", key, `{"name":"X"}`, "Idempotency-Key: "+strings.Repeat("k", 256)).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"too_big","message":"Idempotency-Key must be at most 255 bytes","field":"Idempotency-Key"}}`)
	// 255 bytes of UTF-8 (85 three-byte characters) is fine.
	e.do("POST", "/api/v1/customers", key, `{"name":"X"}`, "Idempotency-Key: "+strings.Repeat("€", 85)).expect(t, 201, "")
	e.do("POST", "/api/v1/customers", key, `{"name":"X"}`, "Idempotency-Key: "+strings.Repeat("€", 86)).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"too_big","message":"$any","field":"Idempotency-Key"}}`)
	r := e.doRaw("POST", "/api/v1/customers", key, `{"name":"X"}`, map[string][]string{"Idempotency-Key": {""}})
	r.expect(t, 400, `{"error":{"type":"invalid_request_error","code":"too_small","message":"Idempotency-Key must not be empty","field":"Idempotency-Key"}}`)
	// Keys are opaque bytes: not UTF-8 is fine, and replays.
	bin := map[string][]string{"Idempotency-Key": {"\xff\xfe\x01"}}
	b1 := e.doRaw("POST", "/api/v1/customers", key, `{"name":"Bytes"}`, bin)
	b1.expect(t, 201, "")
	b2 := e.doRaw("POST", "/api/v1/customers", key, `{"name":"Bytes"}`, bin)
	if b2.Status != 201 || string(b2.Body) != string(b1.Body) || b2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("binary key replay: %d %s", b2.Status, b2.Body)
	}
	if n := e.count(`SELECT count(*) FROM customers`); n != 2 {
		t.Fatalf("%d customers, want 2", n)
	}
}

// doRaw is do with headers set verbatim (an empty value stays present).
func (e *env) doRaw(method, path, key, body string, headers map[string][]string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	leaktest.Key(key)
	for k, v := range headers {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	e.srv.Config.Handler.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// TestIdempotencyFailuresNotStored: a failed request frees its key.
func TestIdempotencyFailuresNotStored(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	e.do("POST", "/api/v1/customers", key, `{"nme":"typo"}`, "Idempotency-Key: fix-me").expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"missing_field","message":"name is required","field":"name"}}`)
	e.do("POST", "/api/v1/customers", key, `{"name":"Taken","slug":"taken"}`).expect(t, 201, "")
	e.do("POST", "/api/v1/customers", key, `{"name":"Again","slug":"taken"}`, "Idempotency-Key: fix-me").expect(t, 409, "")
	e.do("POST", "/api/v1/customers", key, `not json`, "Idempotency-Key: fix-me").expect(t, 400, "")
	if n := e.count(`SELECT count(*) FROM idempotency_keys`); n != 0 {
		t.Fatalf("%d keys stored after failures", n)
	}
	r := e.do("POST", "/api/v1/customers", key, `{"name":"Fixed"}`, "Idempotency-Key: fix-me")
	r.expect(t, 201, "")
	if r.Header.Get("Idempotent-Replayed") != "" || r.str(t, "name") != "Fixed" {
		t.Fatalf("retry after fixing: %s", r.Body)
	}
}

// TestIdempotencyExpiry: after 24 hours a key is fresh again, and the janitor
// deletes expired keys only.
func TestIdempotencyExpiry(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	first := e.do("POST", "/api/v1/customers", key, `{"name":"Old"}`, "Idempotency-Key: day")
	first.expect(t, 201, "")
	e.do("POST", "/api/v1/customers", key, `{"name":"Kept"}`, "Idempotency-Key: fresh").expect(t, 201, "")
	if _, err := e.store.Exec(`UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 second' WHERE key = 'day'`); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/v1/customers", key, `{"name":"Old"}`, "Idempotency-Key: day")
	r.expect(t, 201, "")
	if r.Header.Get("Idempotent-Replayed") != "" || r.str(t, "id") == first.str(t, "id") {
		t.Fatalf("an expired key replayed: %s", r.Body)
	}
	// The new use replays in turn.
	if again := e.do("POST", "/api/v1/customers", key, `{"name":"Old"}`, "Idempotency-Key: day"); string(again.Body) != string(r.Body) {
		t.Fatalf("replay of the renewed key: %s", again.Body)
	}

	// The janitor: 2500 expired rows go in batches, the live ones stay.
	if _, err := e.store.Exec(`INSERT INTO idempotency_keys (workspace_id, method, path, key, request_hash, state, token, lease_until, created_at)
		SELECT workspace_id, 'POST', '/x', convert_to('old-' || g, 'UTF8'), '\x00', 'completed', 't', now(), now() - interval '25 hours'
		FROM api_keys, generate_series(1, 2500) g LIMIT 2500`); err != nil {
		t.Fatal(err)
	}
	n, err := e.res.ExpireIdempotencyKeys(context.Background())
	if err != nil || n != 2500 {
		t.Fatalf("expired %d, %v; want 2500", n, err)
	}
	if c := e.count(`SELECT count(*) FROM idempotency_keys`); c != 2 {
		t.Fatalf("%d keys left, want 2", c)
	}
}

// TestIdempotencyCrashedClaim: a claim whose holder died blocks its key until
// its lease ends, then the key can be used.
func TestIdempotencyCrashedClaim(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	body := `{"name":"Crash"}`
	claim := func(lease string) {
		t.Helper()
		if _, err := e.store.Exec(`DELETE FROM idempotency_keys`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Exec(`INSERT INTO idempotency_keys (workspace_id, method, path, key, request_hash, state, token, lease_until)
			SELECT workspace_id, 'POST', '/api/v1/customers', 'crash', sha256($1), 'in_progress', 'dead', now() + $2::interval
			FROM api_keys LIMIT 1`, []byte(body), lease); err != nil {
			t.Fatal(err)
		}
	}
	claim("1 minute")
	e.do("POST", "/api/v1/customers", key, body, "Idempotency-Key: crash").expect(t, 409, keyInUse)
	claim("-1 second")
	e.do("POST", "/api/v1/customers", key, body, "Idempotency-Key: crash").expect(t, 201, "")
	if c := e.count(`SELECT count(*) FROM idempotency_keys WHERE state = 'completed' AND token <> 'dead'`); c != 1 {
		t.Fatalf("the takeover was not stored")
	}
}

// TestIdempotencyLeaseTakenOver: a holder that outlived its lease cannot
// store its response once another request took the key over, so its write
// rolls back instead of happening twice.
func TestIdempotencyLeaseTakenOver(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	id, err := e.res.Authenticate(context.Background(), "Bearer "+key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithIdentity(context.Background(), id)
	req := resolvers.IdempotentRequest{Method: "POST", Path: "/api/v1/customers", Key: "slow", Body: []byte(`{"name":"Slow"}`)}
	slow, _, err := e.res.ClaimIdempotencyKey(ctx, req)
	if err != nil || slow == nil {
		t.Fatalf("claim: %v", err)
	}
	if _, _, err := e.res.ClaimIdempotencyKey(ctx, req); !apperr.Match(err, "idempotency_key_in_use") {
		t.Fatalf("second claim during the lease: %v", err)
	}
	if _, err := e.store.Exec(`UPDATE idempotency_keys SET lease_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	fast, _, err := e.res.ClaimIdempotencyKey(ctx, req)
	if err != nil || fast == nil {
		t.Fatalf("takeover: %v", err)
	}
	render := func(v any) (resolvers.StoredResponse, error) {
		return resolvers.StoredResponse{Status: 201, Body: []byte(v.(*model.Customer).ID)}, nil
	}
	_, err = e.res.CreateCustomer(resolvers.WithTxHook(ctx, slow.StoreHook(render)), model.CreateCustomerInput{Name: "Slow"})
	if !apperr.Match(err, "idempotency_key_in_use") {
		t.Fatalf("the old holder's write: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("the old holder's write committed")
	}
	c, err := e.res.CreateCustomer(resolvers.WithTxHook(ctx, fast.StoreHook(render)), model.CreateCustomerInput{Name: "Fast"})
	if err != nil {
		t.Fatal(err)
	}
	out := fast.Settle(ctx, resolvers.StoredResponse{Status: 500})
	if out.Status != 201 || string(out.Body) != c.ID {
		t.Fatalf("settled response %d %s, want the stored one", out.Status, out.Body)
	}
	if _, replay, err := e.res.ClaimIdempotencyKey(ctx, req); err != nil || replay == nil || string(replay.Body) != c.ID {
		t.Fatalf("replay after takeover: %+v %v", replay, err)
	}
}
