package httpapi

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// fingerprint summarizes every table a request may write, so that a test can
// prove a refused request wrote nothing. api_keys is counted, not hashed:
// authentication touches last_used_at in the background.
func (e *env) fingerprint() string {
	e.t.Helper()
	var fp string
	err := e.store.GetContext(e.t.Context(), &fp, `SELECT concat_ws('|',
		(SELECT md5(coalesce(string_agg(c::text, ',' ORDER BY workspace_id, id), '')) FROM customers c),
		(SELECT md5(coalesce(string_agg(a::text, ',' ORDER BY id), '')) FROM audit_events a),
		(SELECT md5(coalesce(string_agg(n::text, ',' ORDER BY workspace_id, kind), '')) FROM counters n),
		(SELECT count(*) FROM contacts), (SELECT count(*) FROM onboardings),
		(SELECT count(*) FROM phase_transitions), (SELECT count(*) FROM workspaces), (SELECT count(*) FROM api_keys))`)
	if err != nil {
		e.t.Fatalf("fingerprint: %v", err)
	}
	return fp
}

// with returns a copy of e whose helpers report to t (a fuzz input's own T).
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// checkNoServerFault is the invariant of every hostile request: no 5xx, and a
// refused request (a 4xx, or a GraphQL answer refusing with 200) wrote nothing.
func checkNoServerFault(t *testing.T, e *env, before string, r response, what string) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%s: status %d: %s", what, r.Status, r.Body)
	}
	if refused(r) {
		if after := e.fingerprint(); after != before {
			t.Fatalf("%s: refused with %d but the database changed: %s", what, r.Status, r.Body)
		}
	}
}

// refused reports whether r refused its request: a 4xx, or a GraphQL response
// with errors and no data for any of the operation's root fields (GraphQL
// refuses a mutation with HTTP 200, "errors" and "data": null or every field
// null). REST bodies have no top-level "errors".
func refused(r response) bool {
	if r.Status >= 400 {
		return true
	}
	var out struct {
		Errors []json.RawMessage          `json:"errors"`
		Data   map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(r.Body, &out) != nil || len(out.Errors) == 0 {
		return false
	}
	for _, v := range out.Data {
		if string(v) != "null" {
			return false
		}
	}
	return true
}

// FuzzRESTCustomers sends arbitrary bodies, ids and query strings to the
// customer routes.
func FuzzRESTCustomers(f *testing.F) {
	e := newEnv(f)
	key := e.key("fuzz")
	r := e.do("POST", "/api/v1/customers", key, `{"name":"Seed Co","slug":"seed-co"}`)
	if r.Status != 201 {
		f.Fatalf("seed customer: %d %s", r.Status, r.Body)
	}
	existing := r.str(f, "id")
	// Each input starts from the same data, so that the code an input reaches
	// depends on the input alone (a fuzzer wastes its time on coverage that
	// changes with what earlier inputs left behind).
	var snapshot string
	if err := e.store.GetContext(f.Context(), &snapshot, `SELECT to_jsonb(c)::text FROM customers c WHERE id = $1`, existing); err != nil {
		f.Fatal(err)
	}
	reset := func(t *testing.T) {
		if _, err := e.store.ExecContext(t.Context(), `
			WITH gone AS (DELETE FROM customers RETURNING 1), audit AS (DELETE FROM audit_events RETURNING 1)
			SELECT 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.ExecContext(t.Context(),
			`INSERT INTO customers SELECT * FROM jsonb_populate_record(NULL::customers, $1::jsonb)`, snapshot); err != nil {
			t.Fatal(err)
		}
	}
	f.Add(`{"name":"Acme","mrr":5,"metadata":{"k":[1,2]}}`, existing, "limit=2&status=active")
	f.Add(`{"name":"x","slug":"seed-co"}`, "1", "cursor=2030-01-01T00:00:00Z")
	f.Add(`{"mrr":-1}`, "0", "limit=0")
	f.Fuzz(func(t *testing.T, body, id, query string) {
		e := e.with(t)
		defer reset(t)
		id = url.PathEscape(id) // any bytes, as one path segment
		if _, err := url.Parse("/?" + query); err != nil || strings.ContainsFunc(query,
			func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
			// Not sendable as a raw query: send the bytes as the parameters' values.
			query = url.Values{"limit": {query}, "cursor": {query}, "status": {query}, "slug": {query}}.Encode()
		}
		before := e.fingerprint()
		r := e.do("POST", "/api/v1/customers", key, body)
		checkNoServerFault(t, e, before, r, "POST "+body)
		if r.Status == 201 {
			// A create writes exactly one customer.
			var n int
			e.store.GetContext(t.Context(), &n, `SELECT count(*) FROM customers WHERE id = $1`, r.str(t, "id"))
			if n != 1 {
				t.Fatalf("201 for %s but %d rows", body, n)
			}
		}
		before = e.fingerprint()
		r = e.do("PATCH", "/api/v1/customers/"+existing, key, body)
		checkNoServerFault(t, e, before, r, "PATCH "+body)
		before = e.fingerprint()
		r = e.do("GET", "/api/v1/customers/"+id, key, "")
		checkNoServerFault(t, e, before, r, "GET id "+id)
		r = e.do("GET", "/api/v1/customers?"+query, key, "")
		checkNoServerFault(t, e, before, r, "GET ?"+query)
	})
}

// FuzzGraphQL runs arbitrary documents and variables through the executor.
func FuzzGraphQL(f *testing.F) {
	e := newEnv(f)
	key := e.key("fuzz")
	seeds := [][2]string{
		{`{ me { workspace { slug } } }`, `{}`},
		{`query($f:Int,$a:String){ customers(first:$f, after:$a){ edges{ cursor node{ id name } } pageInfo{ hasNextPage endCursor } } }`, `{"f":2,"a":"dDoy"}`},
		{`mutation($i:CreateCustomerInput!){ createCustomer(input:$i){ customer{ id slug mrr metadata } } }`, `{"i":{"name":"G","mrr":3,"metadata":{"a":null}}}`},
		{`mutation($id:ID!,$i:UpdateCustomerInput!){ updateCustomer(id:$id,input:$i){ customer{ id } } }`, `{"id":"1","i":{"plan":null}}`},
		{`mutation($id:ID!){ deleteCustomer(id:$id){ id } }`, `{"id":"cjld2cjxh0000qzrmn831i7rn"}`},
		{`query($id:ID!){ node(id:$id){ id ... on Customer { name } } customer(id:$id){ id } }`, `{"id":"2"}`},
		{`{ __schema { types { name } } }`, `null`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, query, vars string) {
		e := e.with(t)
		if !json.Valid([]byte(vars)) {
			vars = "null"
		}
		q, _ := json.Marshal(query)
		before := e.fingerprint()
		r := e.do("POST", "/graphql", key, `{"query":`+string(q)+`,"variables":`+vars+`}`)
		checkNoServerFault(t, e, before, r, "graphql "+query+" "+vars)
		var out struct {
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("not JSON: %s", r.Body)
		}
		for _, er := range out.Errors {
			if er.Extensions["code"] == "INTERNAL" {
				t.Fatalf("internal error for %s %s: %s", query, vars, r.Body)
			}
		}
	})
}
