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
)

// Issue 10: documents built to cost the server much more than they cost the
// client are refused before they run, and cost what they ask for.

// refusal sends query with Accept: application/graphql-response+json (whose
// request errors are 4xx under either transport rule of GraphQL over HTTP) and
// returns the response, its first error's extensions and the SQL statements
// the request ran.
func refusal(t *testing.T, e *env, key, query string) (response, map[string]any, int64) {
	t.Helper()
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(gqlBody(query)))
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
// nothing but authentication.
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
