package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"pivotal/auth/leaktest"
	"pivotal/db"
	"pivotal/graph"
	"pivotal/resolvers"
)

// Issue 10: documents built to cost the server much more than they cost the
// client are refused before they run, and cost what they ask for.

// refusal sends query with Accept: application/graphql-response+json (whose
// request errors are 4xx under either transport rule of GraphQL over HTTP) and
// returns the response, its first error's extensions and the SQL statements
// the request ran.
func refusal(t *testing.T, e *env, key, query string) (response, map[string]any, int64) {
	t.Helper()
	return refusalVars(t, e, key, query, nil)
}

func refusalVars(t *testing.T, e *env, key, query string, vars map[string]any) (response, map[string]any, int64) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	req.Header.Set("Authorization", "Bearer "+key)
	leaktest.Key(key)
	ctx, stats := db.WithStats(context.Background())
	rec := httptest.NewRecorder()
	e.srv.Config.Handler.ServeHTTP(rec, req.WithContext(ctx))
	r := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	var body struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	json.Unmarshal(r.Body, &body)
	var ext map[string]any
	if len(body.Errors) > 0 {
		ext = body.Errors[0].Extensions
	}
	return r, ext, stats.Statements()
}

// expectRefused checks that query is refused with a 400 and code, having run
// nothing but authentication (one statement once the key's workspace is known
// to the server: warm it first, warmKey).
func expectRefused(t *testing.T, e *env, key, what, query, code string) map[string]any {
	t.Helper()
	r, ext, n := refusal(t, e, key, query)
	if r.Status != 400 || ext["code"] != code {
		t.Errorf("%s (%d bytes): %d %.300s; want 400 %s", what, len(query), r.Status, r.Body, code)
	}
	if n > 1 {
		t.Errorf("%s: ran %d statements, want 1 (authentication)", what, n)
	}
	return ext
}

func aliases(n int, sel string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, sel)
	}
	b.WriteString(" }")
	return b.String()
}

// TestAliasFloodRefused: A1. Alias floods and repeated keys, whose validation
// and execution grow with the square of their size, are refused before
// validation with a 400.
func TestAliasFloodRefused(t *testing.T) {
	e := newEnv(t)
	key := e.key("flood", "unlimited")
	warmKey(t, e, "flood", key)

	// 20,000 aliases (about 350 KB): over gqlparser's token limit.
	ext := expectRefused(t, e, key, "20,000 aliases", aliases(20_000, "__typename"), "GRAPHQL_PARSE_FAILED")
	t.Logf("20,000 aliases: %v", ext)

	// 1,000 aliases: one selection set over its limit.
	ext = expectRefused(t, e, key, "1,000 aliases", aliases(1_000, "__typename"), codeSelections)
	if ext["scope"] != "selection set" || ext["limit"] != float64(maxSetSelections) {
		t.Errorf("1,000 aliases: extensions %v", ext)
	}
	// The same key 2,000 times: no aliases at all, and the most expensive to validate.
	expectRefused(t, e, key, "2,000 repeats", "{"+strings.Repeat(" a: me { livemode }", 2_000)+" }", codeSelections)
	// Through fragments: 201 fields in one set, from two fragments.
	expectRefused(t, e, key, "fragments", `{ ...A ...B } fragment A on Query { `+aliases(100, "__typename")[1:]+
		` fragment B on Query { `+strings.ReplaceAll(aliases(101, "__typename")[1:], " a", " b"), codeSelections)

	// In total, fragments expanded: 10 customers × 20 contacts × 20 customers × 3 fields.
	nested := `{ x: customer(id: "1") { ...N } ` + aliases(10, `customer(id: "1") { ...N }`)[1:] + `
		fragment N on Customer { ` + aliases(20, "primaryContact { ...P }")[1:] + `
		fragment P on Contact { ` + aliases(20, "customer { id name slug }")[1:]
	ext = expectRefused(t, e, key, "nested fragments", nested, codeSelections)
	if ext["scope"] != "operation" {
		t.Errorf("nested fragments: extensions %v", ext)
	}

	// Repeated keys, fragments expanded: 30 × (20 copies of a: me in one set) repeat 570 times.
	repeats := `{ ` + aliases(30, "me { ...R }")[1:] + ` fragment R on Me { ` + strings.Repeat(" k: workspace { id }", 20) + ` }`
	ext = expectRefused(t, e, key, "repeats", repeats, codeSelections)
	if ext["scope"] != "repeats" {
		t.Errorf("repeats: extensions %v", ext)
	}

	// Within the limits: 200 aliases, and GraphiQL-sized documents, run.
	r := e.gql(key, aliases(200, "__typename"), nil)
	if r.Status != 200 || strings.Contains(string(r.Body), "errors") {
		t.Errorf("200 aliases: %d %.200s", r.Status, r.Body)
	}
}

// TestPageInfoFloodRefused: A2. 50 aliased customers(first: 100), each with 25
// aliased pageInfo, each with 50 aliased startCursor: 2.9 KB that held a
// connection for 10 s. Refused before anything runs.
func TestPageInfoFloodRefused(t *testing.T) {
	e := newEnv(t)
	key := e.key("flood")
	warmKey(t, e, "flood", key)
	q := `{ ` + aliases(50, "customers(first: 100) { ...C }")[1:] + `
		fragment C on CustomerConnection { ` + aliases(25, "pageInfo { ...P }")[1:] + `
		fragment P on PageInfo { ` + aliases(50, "startCursor")[1:]
	if len(q) > 4000 {
		t.Fatalf("the document is %d bytes", len(q))
	}
	ext := expectRefused(t, e, key, "pageInfo flood", q, codeSelections)
	if ext["scope"] != "operation" || ext["selections"] != float64(50*(1+25*(1+50))) {
		t.Errorf("extensions %v", ext)
	}
}

// TestEdgesCostLikeNodes: A3. A query written with edges { node } costs what
// the same query written with nodes costs: Q3 passes the default limit both ways.
func TestEdgesCostLikeNodes(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme", "unlimited")
	seed(t, e, "acme", 2)
	nodes, edges := e.gql(key, q3, nil), e.gql(key, q3Edges, nil)
	for name, r := range map[string]response{"nodes": nodes, "edges": edges} {
		if r.Status != 200 || strings.Contains(string(r.Body), `"errors"`) {
			t.Errorf("Q3 with %s: %d %.300s", name, r.Status, r.Body)
		}
	}
	if got, want := cost(t, q3Edges, nil), cost(t, q3, nil); got != want {
		t.Errorf("Q3 costs %d with edges and %d with nodes", got, want)
	}
}

// TestCreateAPIKeyBounds: A4. A test key mints only test keys, a workspace
// holds at most MaxAPIKeys active keys (however many are asked for at once),
// and creating a key is charged heavily.
func TestCreateAPIKeyBounds(t *testing.T) {
	e := newEnv(t)
	testKey := e.key("mint", "test")
	keys := func(livemode bool) int {
		return e.count(`SELECT count(*) FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
			WHERE w.slug = 'mint' AND k.livemode = $1`, livemode)
	}

	e.gql(testKey, `mutation { createApiKey(name: "live", test: false) { secret } }`, nil).expect(t, 200,
		`{"errors":[{"message":"A test key can create only test keys; use a live key to create a live key.","path":["createApiKey"],
		"locations":"$any","extensions":{"code":"BAD_USER_INPUT","errorCode":"test_key_creates_test_keys","field":"test"}}],"data":{"createApiKey":null}}`)
	if n := keys(true); n != 0 {
		t.Fatalf("a test key created %d live keys", n)
	}
	// Omitted, test is the caller's mode.
	e.gql(testKey, `mutation { createApiKey(name: "t") { apiKey { livemode } secret } }`, nil).expect(t, 200,
		`{"data":{"createApiKey":{"apiKey":{"livemode":false},"secret":"$any"}}}`)
	live := e.key("mint")
	e.gql(live, `mutation { createApiKey(name: "l") { apiKey { livemode } } }`, nil).expect(t, 200,
		`{"data":{"createApiKey":{"apiKey":{"livemode":true}}}}`)

	// 100 aliased createApiKey { secret } cost 100,010: refused whole, before any runs
	// (500, as in the issue, are over the selection limit).
	before := keys(true) + keys(false)
	ext := expectRefused(t, e, live, "100 createApiKey", "mutation "+aliases(100, `createApiKey(name: "k") { secret }`), "COMPLEXITY_LIMIT_EXCEEDED")
	if ext["cost"] != float64(100_010) {
		t.Errorf("100 createApiKey: %v", ext)
	}
	expectRefused(t, e, live, "500 createApiKey", "mutation "+aliases(500, `createApiKey(name: "k") { secret }`), codeSelections)
	if after := keys(true) + keys(false); after != before {
		t.Fatalf("a refused operation created %d keys", after-before)
	}

	// The cap: 4 keys exist; with a cap of 6, of 8 creations at once 2 succeed.
	if e.res.MaxAPIKeys != 0 || resolvers.DefaultMaxAPIKeys != 100 {
		t.Fatalf("MaxAPIKeys %d, default %d", e.res.MaxAPIKeys, resolvers.DefaultMaxAPIKeys)
	}
	// A server of its own whose resolver holds the cap, set before it serves.
	capped := resolvers.New(e.store, e.res.Log)
	capped.MaxAPIKeys = 6
	srv := httptest.NewServer(New(capped, e.res.Log, Options{}))
	t.Cleanup(srv.Close)
	e = &env{t: t, store: e.store, res: capped, srv: srv}
	results := make(chan response, 8)
	for range 8 {
		go func() { results <- e.gql(live, `mutation { createApiKey(name: "c") { secret } }`, nil) }()
	}
	created := 0
	for range 8 {
		r := <-results
		switch {
		case strings.Contains(string(r.Body), `"secret":"pivotal_`):
			created++
		case !strings.Contains(string(r.Body), `"errorCode":"api_key_limit_reached"`) || !strings.Contains(string(r.Body), `"code":"CONFLICT"`):
			t.Errorf("%d %s", r.Status, r.Body)
		}
	}
	if created != 2 || keys(true)+keys(false) != 6 {
		t.Fatalf("created %d keys at once under a cap of 6 (holding 4); the workspace has %d", created, keys(true)+keys(false))
	}
	// One mutation asking for several gets what fits; revoking makes room.
	r := e.gql(live, `mutation { a: createApiKey(name: "a") { secret } b: revokeApiKey(id: "`+testKey[:len("pivotal_test_")+8]+`") { apiKey { name } }
		c: createApiKey(name: "c") { apiKey { name } } d: createApiKey(name: "d") { apiKey { name } } }`, nil)
	r.expect(t, 200, `{"errors":[{"message":"The workspace has 6 active API keys, the most it may hold; revoke one first.","path":["a"],"locations":"$any",
		"extensions":{"code":"CONFLICT","errorCode":"api_key_limit_reached"}},
		{"message":"$any","path":["d"],"locations":"$any","extensions":{"code":"CONFLICT","errorCode":"api_key_limit_reached"}}],
		"data":{"a":null,"b":{"apiKey":{"name":"test key"}},"c":{"apiKey":{"name":"c"}},"d":null}}`)
}

// TestSchemaHidesGoField: C6. gqlgen's @goField is for its code generator:
// neither introspection nor the GraphiQL page shows it, and the served schema
// is gqlgen's otherwise.
func TestSchemaHidesGoField(t *testing.T) {
	e := newEnv(t)
	key := e.key("intro")
	r := e.gql(key, `{ __schema { directives { name } types { name fields { name args { name } } } } }`, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `{"name":"deprecated"}`) || strings.Contains(string(r.Body), "goField") {
		t.Errorf("introspection: %d %.300s", r.Status, r.Body)
	}
	if page := e.do("GET", "/graphiql", "", ""); page.Status != 200 || strings.Contains(string(page.Body), "goField") {
		t.Errorf("/graphiql: %d, goField %v", page.Status, strings.Contains(string(page.Body), "goField"))
	}
	gen, served := graph.NewExecutableSchema(graph.Config{}).Schema(), servedSchema()
	if len(gen.Types) != len(served.Types) || len(gen.Directives) != len(served.Directives)+1 {
		t.Errorf("served schema: %d types, %d directives; gqlgen's %d and %d", len(served.Types), len(served.Directives), len(gen.Types), len(gen.Directives))
	}
	for name, def := range gen.Types {
		if s := served.Types[name]; s == nil || len(s.Fields) != len(def.Fields) || s.Description != def.Description {
			t.Errorf("type %s differs in the served schema", name)
		}
	}
}

// TestVariableCoercion: C3 and C2. Variables coerce as graphql-js coerces
// them; a value that does not is a request error (400 under
// graphql-response+json, BAD_USER_INPUT) and nothing runs. Int is 32-bit.
func TestVariableCoercion(t *testing.T) {
	e := newEnv(t)
	key := e.key("coerce")
	const (
		byName   = `mutation($name: String!) { createCustomer(input: {name: $name}) { customer { name mrr } } }`
		byInput  = `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { name mrr } } }`
		byID     = `query($id: ID!) { customer(id: $id) { id } }`
		byBool   = `query($b: Boolean!) { __typename @include(if: $b) }`
		byFirst  = `query($n: Int) { customers(first: $n) { nodes { id } } }`
		byStatus = `query($s: CustomerStatus) { customers(filter: {status: $s}) { nodes { id } } }`
		byLabels = `mutation($c: ID!, $l: [String!]) { createContact(customerId: $c, input: {name: "N", email: "n@example.com", labels: $l}) { contact { labels } } }`
	)
	for _, c := range []struct {
		query string
		vars  map[string]any
		msg   string // "" when accepted
	}{
		{byName, map[string]any{"name": json.Number("42")}, `Variable "$name" got invalid value 42; String cannot represent a non string value: 42`},
		{byName, map[string]any{"name": true}, `$any`},
		{byInput, map[string]any{"i": map[string]any{"name": json.Number("42")}}, `Variable "$i" got invalid value {"name":42} at "i.name"; String cannot represent a non string value: 42`},
		{byInput, map[string]any{"i": map[string]any{"name": "A", "mrr": "100"}}, `$any`},
		{byInput, map[string]any{"i": map[string]any{"name": "A", "mrr": json.Number("1.5")}}, `$any`},
		{byInput, map[string]any{"i": map[string]any{"name": "A", "mrr": json.Number("3000000000")}},
			`Variable "$i" got invalid value {"mrr":3000000000,"name":"A"} at "i.mrr"; Int cannot represent non 32-bit signed integer value: 3000000000`},
		{byInput, map[string]any{"i": map[string]any{"name": "A", "status": "active"}}, `$any`},
		{byInput, map[string]any{"i": map[string]any{"name": "A", "metadata": json.Number("1")}}, `$any`},
		{byInput, map[string]any{"i": map[string]any{"name": "A", "nope": 1}}, `$any`},
		{byFirst, map[string]any{"n": "5"}, `$any`},
		{byFirst, map[string]any{"n": json.Number("2147483648")}, `$any`},
		{byFirst, map[string]any{"n": json.Number("-2147483649")}, `$any`},
		{byID, map[string]any{"id": json.Number("1.5")}, `Variable "$id" got invalid value 1.5; ID cannot represent value: 1.5`},
		{byID, map[string]any{"id": false}, `$any`},
		{byBool, map[string]any{"b": "true"}, `$any`},
		{byBool, map[string]any{"b": json.Number("1")}, `$any`},
		{byStatus, map[string]any{"s": "active"}, `Variable "$s" got invalid value "active"; Value "active" does not exist in "CustomerStatus" enum.`},
		{byLabels, map[string]any{"c": "1", "l": []any{json.Number("1")}}, `$any`},
		// Accepted: the right types, an integral number for ID, the 32-bit bounds.
		{byName, map[string]any{"name": "42"}, ""},
		{byInput, map[string]any{"i": map[string]any{"name": "Max", "mrr": json.Number("2147483647"), "status": "ACTIVE", "metadata": map[string]any{"a": 1}}}, ""},
		{byID, map[string]any{"id": json.Number("1")}, ""},
		{byBool, map[string]any{"b": false}, ""},
		{byStatus, map[string]any{"s": "AT_RISK"}, ""},
	} {
		r, ext, _ := refusalVars(t, e, key, c.query, c.vars)
		if c.msg == "" {
			if r.Status != 200 || ext["code"] == codeBadUserInput && strings.Contains(string(r.Body), `"variable"`) {
				t.Errorf("%v refused: %d %s", c.vars, r.Status, r.Body)
			}
			continue
		}
		var body struct {
			Errors []struct {
				Message string
				Path    []any
			}
		}
		json.Unmarshal(r.Body, &body)
		if r.Status != 400 || ext["code"] != codeBadUserInput || len(body.Errors) != 1 || len(body.Errors[0].Path) == 0 ||
			body.Errors[0].Path[0] != "variable" || c.msg != "$any" && body.Errors[0].Message != c.msg {
			t.Errorf("%v: %d %s; want 400 BAD_USER_INPUT %s", c.vars, r.Status, r.Body, c.msg)
		}
	}
	// A list takes a single value as a list of one.
	cust := e.newCustomer(key, "Lists")
	e.gql(key, byLabels, map[string]any{"c": cust, "l": "solo"}).expect(t, 200, `{"data":{"createContact":{"contact":{"labels":["solo"]}}}}`)
	// Nothing refused was written: Max is the only customer created through GraphQL.
	if n := e.count(`SELECT count(*) FROM customers WHERE name <> 'Lists'`); n != 2 {
		t.Errorf("%d customers, want 2 (42 and Max)", n)
	}
	// gqlparser's own variable errors carry the same code.
	r, ext, _ := refusalVars(t, e, key, byName, nil)
	if r.Status != 400 || ext["code"] != codeBadUserInput {
		t.Errorf("missing variable: %d %s", r.Status, r.Body)
	}
}

// TestIntBounds: C2. mrr, monthly_orders and reminder_frequency_days are
// GraphQL Ints, so REST holds them to 32 bits too: 2147483647 is the most.
func TestIntBounds(t *testing.T) {
	e := newEnv(t)
	key := e.key("ints")
	e.do("POST", "/api/v1/customers", key, `{"name":"Big","mrr":3000000000}`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"too_big","message":"mrr must be at most 2147483647","field":"mrr"}}`)
	e.do("POST", "/api/v1/customers", key, `{"name":"Big","monthly_orders":2147483648}`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"too_big","message":"monthly_orders must be at most 2147483647","field":"monthly_orders"}}`)
	id := e.do("POST", "/api/v1/customers", key, `{"name":"Max","mrr":2147483647}`).str(t, "id")
	e.do("PATCH", "/api/v1/customers/"+id, key, `{"monthly_orders":9999999999}`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"too_big","message":"monthly_orders must be at most 2147483647","field":"monthly_orders"}}`)
	e.gql(key, `{ customers { nodes { mrr } } }`, nil).expect(t, 200, `{"data":{"customers":{"nodes":[{"mrr":2147483647}]}}}`)
	// Literals over the bound, or not of a custom scalar's form, are refused by validation.
	for _, q := range []string{`mutation { createCustomer(input: {name: "L", mrr: 3000000000}) { customer { id } } }`,
		`{ customers(first: -2147483649) { nodes { id } } }`,
		`mutation { createCustomer(input: {name: "L", metadata: 42}) { customer { id } } }`,
		`mutation { createCustomer(input: {name: "L", metadata: "{}"}) { customer { id } } }`} {
		r, ext, _ := refusal(t, e, key, q)
		if r.Status != 400 || ext["code"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
}

func TestCoerceScalar(t *testing.T) {
	for _, c := range []struct {
		scalar string
		v      any
		ok     bool
	}{
		{"Float", json.Number("1.5"), true}, {"Float", json.Number("1"), true}, {"Float", float64(2), true},
		{"Float", "1.5", false}, {"Float", json.Number("1e400"), false}, {"Float", true, false},
		{"Int", json.Number("1e3"), true}, {"Int", int64(-2147483648), true}, {"Int", int64(-2147483649), false},
		{"Int", json.Number("1e400"), false}, {"Int", "1", false},
		{"ID", json.Number("1e400"), false}, {"ID", "x", true}, {"ID", int64(7), true},
		{"Time", "2026-05-26T17:21:09.412000Z", true}, {"Time", "2026-05-26", false}, {"Time", json.Number("1"), false},
		{"JSON", map[string]any{}, true}, {"JSON", []any{}, false}, {"JSON", "{}", false},
		{"String", "", true}, {"Boolean", false, true}, {"Boolean", nil, false},
	} {
		if got := coerceScalar(c.scalar, c.v) == ""; got != c.ok {
			t.Errorf("%s %#v: accepted %v, want %v", c.scalar, c.v, got, c.ok)
		}
	}
}

// TestRoundTrips: A7. Metadata sent through GraphQL is stored as REST stores
// the same object sent compactly, and both APIs give it back byte for byte;
// a date before year 1 (or after 9999) is refused by both APIs.
func TestRoundTrips(t *testing.T) {
	e := newEnv(t)
	key := e.key("trip")
	meta := "{\"a\":\"x & y <b> \u2028 é\",\"n\":[1,2.5,-3e10,null,true],\"z\":{\"k\":\"\\\"q\\\" \\\\ \\n\"}}"
	rest := e.do("POST", "/api/v1/customers", key, `{"name":"Rest","metadata":`+meta+`}`).str(t, "id")
	r := e.gql(key, `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } } }`,
		map[string]any{"i": map[string]any{"name": "Gql", "metadata": json.RawMessage(meta)}})
	gql := r.path(t, "data", "createCustomer", "customer", "id").(string)
	// Stored as REST stores it: the same text.
	if n := e.count(`SELECT count(*) FROM customers WHERE id IN ($1, $2) AND metadata::text = $3`, rest, gql, meta); n != 2 {
		var got []string
		e.store.Select(&got, `SELECT metadata::text FROM customers ORDER BY name`)
		t.Fatalf("stored metadata %q, want %q twice", got, meta)
	}
	var gqlReads []string
	for _, id := range []string{rest, gql} {
		if g := e.do("GET", "/api/v1/customers/"+id, key, ""); !strings.Contains(string(g.Body), `"metadata":`+meta+`,`) {
			t.Errorf("REST read of %s: %s", id, g.Body)
		}
		// GraphQL's transport (gqlgen's json.Marshal) escapes &, < and > in
		// every response string; the value is the same.
		g := e.gql(key, `query($id: ID!) { customer(id: $id) { metadata } }`, map[string]any{"id": id})
		var got, want any
		json.Unmarshal([]byte(meta), &want)
		json.Unmarshal(g.Body, &got)
		if fmt.Sprint(got) != fmt.Sprint(map[string]any{"data": map[string]any{"customer": map[string]any{"metadata": want}}}) {
			t.Errorf("GraphQL read of %s: %s", id, g.Body)
		}
		gqlReads = append(gqlReads, string(g.Body))
	}
	if gqlReads[0] != gqlReads[1] {
		t.Errorf("GraphQL reads differ:\n%s\n%s", gqlReads[0], gqlReads[1])
	}

	// Dates: year 1 to 9999, in UTC.
	cust := e.newCustomer(key, "Dates")
	for _, d := range []string{"0000-07-15", "0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-02:00"} {
		e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cust+`","target_launch_date":"`+d+`"}`).expect(t, 400,
			`{"error":{"type":"invalid_request_error","code":"$any","message":"target_launch_date must be between the years 1 and 9999 (in UTC)","field":"target_launch_date"}}`)
		e.gql(key, `mutation($i: CreateOnboardingInput!) { createOnboarding(input: $i) { onboarding { id } } }`,
			map[string]any{"i": map[string]any{"customerId": cust, "targetLaunchDate": d}}).expect(t, 200,
			`{"errors":[{"message":"target_launch_date must be between the years 1 and 9999 (in UTC)","path":["createOnboarding"],"locations":"$any",
			"extensions":{"code":"BAD_USER_INPUT","errorCode":"$any","field":"targetLaunchDate"}}],"data":{"createOnboarding":null}}`)
	}
	e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cust+`","target_launch_date":"0001-01-01"}`).expect(t, 201, "")
	if n := e.count(`SELECT count(*) FROM onboardings`); n != 1 {
		t.Errorf("%d onboardings, want 1", n)
	}
}
