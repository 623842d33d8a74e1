package httpapi

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

func TestGraphQLIdempotency(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	const create = `mutation($name: String!) { createCustomer(input: {name: $name}) { customer { id displayId name } } }`
	first := e.gql(key, create, map[string]any{"name": "Gamma"}, "Idempotency-Key: g-1")
	first.expect(t, 200, `{"data":{"createCustomer":{"customer":{"id":"$cuid","displayId":1,"name":"Gamma"}}}}`)
	again := e.gql(key, create, map[string]any{"name": "Gamma"}, "Idempotency-Key: g-1")
	if again.Status != 200 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v %s", again.Status, again.Header, again.Body)
	}
	e.gql(key, create, map[string]any{"name": "Delta"}, "Idempotency-Key: g-1").expect(t, 409,
		`{"errors":[{"message":"This Idempotency-Key was already used with a different request body.",
		"extensions":{"code":"CONFLICT","errorCode":"idempotency_key_reused"}}]}`)
	if n := e.count(`SELECT count(*) FROM customers`); n != 1 {
		t.Fatalf("%d customers, want 1", n)
	}

	// A query is not claimed, whatever its headers.
	e.gql(key, `{ me { livemode } }`, nil, "Idempotency-Key: q").expect(t, 200, `{"data":{"me":{"livemode":true}}}`)
	// Nor is a document that does not parse (a request error: 200 under
	// application/json), nor one naming a query operation.
	e.gql(key, `mutation {`, nil, "Idempotency-Key: q").expect(t, 200, `{"errors":[{"message":"$any","locations":"$any","extensions":{"code":"GRAPHQL_PARSE_FAILED"}}],"data":null}`)
	e.do("POST", "/graphql", key, `{"query":"query A { me { livemode } } mutation B { deleteCustomer(id: \"1\") { deletedId } }","operationName":"A"}`,
		"Idempotency-Key: q").expect(t, 200, `{"data":{"me":{"livemode":true}}}`)
	if n := e.count(`SELECT count(*) FROM idempotency_keys WHERE key = 'q'`); n != 0 {
		t.Fatalf("a query claimed its key")
	}
	// A key's secret is never stored: creating keys is outside idempotency.
	for _, q := range []string{`mutation { createApiKey(name: "k") { secret } }`,
		`mutation { ...F } fragment F on Mutation { createApiKey(name: "k") { secret } }`} {
		e.gql(key, q, nil, "Idempotency-Key: secret").expect(t, 200, `{"data":{"createApiKey":{"secret":"$any"}}}`)
	}
	if n := e.count(`SELECT count(*) FROM idempotency_keys WHERE key = 'secret'`); n != 0 {
		t.Fatalf("a key's secret was stored")
	}
	// However deeply fragments hide it, beside a mutation that commits (issue
	// 10 A5: 11 levels got through, and the response was stored and replayed).
	deep := `mutation { createCustomer(input: {name: "Deep"}) { customer { name } } ...F0 }`
	for i := range 15 {
		deep += fmt.Sprintf(" fragment F%d on Mutation { ... on Mutation { ...F%d } }", i, i+1)
	}
	deep += ` fragment F15 on Mutation { createApiKey(name: "k") { secret } }`
	var secrets []string
	other := e.key("deep") // its customers do not take display ids from acme's
	for range 2 {
		r := e.gql(other, deep, nil, "Idempotency-Key: deep")
		r.expect(t, 200, `{"data":{"createCustomer":{"customer":{"name":"Deep"}},"createApiKey":{"secret":"$any"}}}`)
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a created key was replayed")
		}
		secrets = append(secrets, r.path(t, "data", "createApiKey", "secret").(string))
	}
	if n := e.count(`SELECT count(*) FROM idempotency_keys WHERE key = 'deep'`); n != 0 || secrets[0] == secrets[1] {
		t.Fatalf("a key's secret hidden 16 fragments deep was stored (%d rows, secrets %d)", n, len(secrets))
	}

	// A mutation that wrote nothing is not stored: the key can be used again.
	e.gql(key, create, map[string]any{"name": ""}, "Idempotency-Key: g-2").expect(t, 200,
		`{"errors":[{"message":"$any","path":["createCustomer"],"locations":"$any","extensions":{"code":"BAD_USER_INPUT","errorCode":"too_small","field":"name"}}],"data":{"createCustomer":null}}`)
	e.gql(key, create, map[string]any{"name": "Epsilon"}, "Idempotency-Key: g-2").expect(t, 200,
		`{"data":{"createCustomer":{"customer":{"id":"$cuid","displayId":2,"name":"Epsilon"}}}}`)

	// Bounds as for REST, in GraphQL's error shape.
	r := e.doRaw("POST", "/graphql", key, `{"query":"mutation { deleteCustomer(id: \"1\") { deletedId } }"}`, map[string][]string{"Idempotency-Key": {""}})
	r.expect(t, 400, `{"errors":[{"message":"Idempotency-Key must not be empty","extensions":{"code":"BAD_USER_INPUT","errorCode":"too_small","field":"Idempotency-Key"}}]}`)
}

// TestGraphQLIdempotencyLostResponse: a mutation that committed but whose
// response was never stored (a crash in between) is not run again.
func TestGraphQLIdempotencyLostResponse(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	body := `{"query":"mutation { createCustomer(input: {name: \"Lost\"}) { customer { id } } }"}`
	if _, err := e.store.Exec(`INSERT INTO idempotency_keys (workspace_id, method, path, key, request_hash, state, token, lease_until)
		SELECT workspace_id, 'POST', '/graphql', 'lost', sha256($1), 'executed', 'dead', now() - interval '1 second'
		FROM api_keys LIMIT 1`, []byte(body)); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/graphql", key, body, "Idempotency-Key: lost").expect(t, 409,
		`{"errors":[{"message":"A request with this Idempotency-Key was executed but its response was not recorded; it will not be executed again.",
		"extensions":{"code":"CONFLICT","errorCode":"idempotency_key_in_use"}}]}`)
	if n := e.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("ran again")
	}
}

func TestGraphQLIdempotencyConcurrent(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	var wg sync.WaitGroup
	res := make([]response, 10)
	for i := range res {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res[i] = e.gql(key, `mutation { createCustomer(input: {name: "Many"}) { customer { id } } }`, nil, "Idempotency-Key: many")
		}(i)
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, r := range res {
		switch r.Status {
		case 200:
			var v struct {
				Data struct {
					CreateCustomer struct{ Customer struct{ ID string } }
				}
			}
			json.Unmarshal(r.Body, &v)
			ids[v.Data.CreateCustomer.Customer.ID] = true
		case 409:
			r.expect(t, 409, `{"errors":[{"message":"$any","extensions":{"code":"CONFLICT","errorCode":"idempotency_key_in_use"}}]}`)
		default:
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	if len(ids) != 1 || e.count(`SELECT count(*) FROM customers`) != 1 {
		t.Fatalf("ids %v, customers %d", ids, e.count(`SELECT count(*) FROM customers`))
	}
}
