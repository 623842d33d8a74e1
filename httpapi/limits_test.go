package httpapi

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"pivotal/graph"
)

// q100cubed asks for 100 customers × 100 contacts × 100 onboardings.
const q100cubed = `{ customers(first: 100) { nodes { id contacts(first: 100) { nodes { id
	onboardings(first: 100) { nodes { id } } } } } } }`

// cost computes an operation's cost exactly as the server does.
func cost(t *testing.T, query string, vars map[string]any) int {
	t.Helper()
	es := graph.NewExecutableSchema(graph.Config{})
	doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), query, nil)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	return costOf(es.Schema(), doc.Operations[0], vars)
}

// q3Edges is Q3 written with edges { node }, as Relay and Apollo clients write it.
const q3Edges = `{ customers(first: 100) { pageInfo { hasNextPage endCursor } edges { node { id displayId name slug status
	contacts(first: 10) { edges { node { id name email isPrimary onboardings(first: 5) { edges { node { id phase state } } } } } }
	onboardings(first: 10) { edges { node { id displayId phase state targetLaunchDate } } } } } } }`

func TestComplexityCostModel(t *testing.T) {
	cases := []struct {
		name, query string
		vars        map[string]any
		want        int
	}{
		// Costs in tenths: a value 1, an object 10; the total is rounded up.
		{"pageInfo is not multiplied", `{ customers(first: 100) { pageInfo { hasNextPage endCursor } } }`, nil, 3},         // 10 + (10 + 2)
		{"a page of scalars", `{ customers(first: 100) { nodes { id name } } }`, nil, 121},                                 // 10 + 100 × (10 + 2)
		{"default page size", `{ customers { nodes { id } } }`, nil, 23},                                                   // 10 + 20 × 11
		{"first from a variable", `query($n: Int) { onboardings(first: $n) { nodes { id } } }`, map[string]any{"n": 7}, 9}, // 10 + 7 × 11
		{"edges and nodes both count", `{ customers(first: 10) { edges { node { id } } nodes { id } } }`, nil, 23},         // 10 + 10 × (11 + 11)
		{"an edge and its node are one object", `{ customers(first: 10) { edges { cursor node { id } } } }`, nil, 13},      // 10 + 10 × 12
		{"nested object", `{ onboardings(first: 50) { nodes { id customer { id } } } }`, nil, 111},                         // 10 + 50 × 22
		{"timeline", `{ onboarding(id: "1") { timeline { id } } }`, nil, 13},                                               // 10 + 10 + 10 × 11
		{"every alias costs", `{ a: me { livemode } b: me { livemode } c: __typename }`, nil, 3},                           // 11 + 11 + 1
		{"every scalar costs", "{" + strings.Repeat(" __typename", 95) + "}", nil, 10},                                     // 95
		{"a fragment costs where it is spread", `{ a: me { ...K } b: me { ...K } } fragment K on Me { livemode scopes }`, nil, 3},
		{"createApiKey is charged heavily", `mutation { createApiKey(name: "k") { secret } }`, nil, 1001},
		{"Q2", q2, nil, 3253},
		{"Q3", q3, nil, 10_753},
		{"Q3 with edges", q3Edges, nil, 10_753},
		{"100×100×100", q100cubed, nil, 1_121_211},
		{"negative first costs nothing here", `{ customers(first: -5) { nodes { id } } }`, nil, 1},
		{"saturates", `{ customers(first: 2000000000) { nodes { contacts(first: 2000000000) { nodes {
			onboardings(first: 2000000000) { nodes { id } } } } } } }`, nil, int(^uint(0)>>1)/10 + 1},
	}
	for _, c := range cases {
		if got := cost(t, c.query, c.vars); got != c.want {
			t.Errorf("%s: cost %d, want %d", c.name, got, c.want)
		}
	}
	if DefaultMaxComplexity < cost(t, q3, nil) || DefaultMaxComplexity < cost(t, q3Edges, nil) {
		t.Errorf("default limit %d refuses Q3", DefaultMaxComplexity)
	}
}

func TestComplexityLimit(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme", "unlimited")
	seed(t, e, "acme", 3)
	warmKey(t, e, "acme", key)

	// Refused before any resolver runs: the only statement is authentication.
	r, n := e.countGQL(key, q100cubed)
	r.expect(t, 422, `{"errors":[{"message":"The query is too complex: its cost is 1121211 and the limit is 13000. Ask for smaller pages (first) or fewer nested connections.",
		"extensions":{"code":"COMPLEXITY_LIMIT_EXCEEDED","cost":1121211,"limit":13000}}],"data":null}`)
	if n != 1 {
		t.Errorf("refused query ran %d statements, want 1 (authentication)", n)
	}

	// Q3 passes the limit: it reaches the resolvers and returns the page.
	r, n = e.countGQL(key, q3)
	if r.Status != 200 || strings.Contains(string(r.Body), codeComplexity) {
		t.Fatalf("Q3 refused: %d %s", r.Status, r.Body)
	}
	if nodes := r.path(t, "data", "customers", "nodes"); len(nodes.([]any)) != 3 {
		t.Errorf("Q3 returned %v", nodes)
	}
	if n < 2 {
		t.Errorf("Q3 ran %d statements: it did not execute", n)
	}

	// A lower limit from the options refuses Q2 with the configured limit.
	low := New(e.res, e.res.Log, Options{MaxComplexity: 2000})
	r, _ = serveCounting(t, low, key, "POST", "/graphql", gqlBody(q2))
	r.expect(t, 422, `{"errors":[{"message":"$any","extensions":{"code":"COMPLEXITY_LIMIT_EXCEEDED","cost":3253,"limit":2000}}],"data":null}`)
}

func TestDepthLimit(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	warmKey(t, e, "acme", key)

	// 10 levels pass (Q3 in its edges form), 11 do not.
	ten := `{ customers(first: 1) { edges { node { contacts(first: 1) { edges { node {
		onboardings(first: 1) { edges { node { id } } } } } } } } } }`
	if d, _ := depthOf(t, ten); d != 10 {
		t.Fatalf("depth of the 10-level query is %d", d)
	}
	r, _ := e.countGQL(key, ten)
	if strings.Contains(string(r.Body), codeDepth) {
		t.Fatalf("10 levels refused: %s", r.Body)
	}
	eleven := `{ customers(first: 1) { edges { node { contacts(first: 1) { edges { node {
		onboardings(first: 1) { edges { node { customer { id } } } } } } } } } } }`
	r, n := e.countGQL(key, eleven)
	r.expect(t, 422, `{"errors":[{"message":"The query is nested too deeply: 11 levels, the limit is 10.",
		"extensions":{"code":"DEPTH_LIMIT_EXCEEDED","depth":11,"limit":10}}],"data":null}`)
	if n != 1 {
		t.Errorf("refused query ran %d statements, want 1 (authentication)", n)
	}

	// Fragments count as the fields they hold, also when spread many times.
	frag := `query { customers(first: 1) { ...A } }
		fragment A on CustomerConnection { nodes { ...B ...B } edges { node { ...B } } }
		fragment B on Customer { contacts(first: 1) { nodes { ...C } } }
		fragment C on Contact { onboardings(first: 1) { nodes { ...D } } }
		fragment D on Onboarding { customer { contacts(first: 1) { nodes { customer { id } } } } }`
	if d, _ := depthOf(t, frag); d != 12 {
		t.Errorf("depth through fragments %d, want 12", d)
	}
	r, _ = e.countGQL(key, frag)
	r.expect(t, 422, `{"errors":[{"message":"$any","extensions":{"code":"DEPTH_LIMIT_EXCEEDED","depth":12,"limit":10}}],"data":null}`)

	// GraphiQL's introspection query nests deeper than data queries may.
	intro := `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`
	if d, meta := depthOf(t, intro); d != 12 || !meta {
		t.Fatalf("introspection depth %d %v", d, meta)
	}
	r, _ = e.countGQL(key, intro)
	if r.Status != 200 || strings.Contains(string(r.Body), "errors") {
		t.Errorf("introspection refused: %d %s", r.Status, r.Body)
	}
}

// An introspection operation may nest 20 levels (introspectionDepth), not one
// more: the limit is enforced, and reported, as 20.
func TestIntrospectionDepthLimit(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	warmKey(t, e, "acme", key)
	// __schema types fields type: 4 levels, then ofType levels, then name.
	nested := func(ofTypes int) string {
		return `{ __schema { types { fields { type { ` + strings.Repeat("ofType { ", ofTypes) + "name" +
			strings.Repeat(" }", ofTypes) + ` } } } } }`
	}
	twenty, twentyOne := nested(15), nested(16)
	if d, meta := depthOf(t, twenty); d != 20 || !meta {
		t.Fatalf("depth %d (introspection %v), want 20", d, meta)
	}
	r, _ := e.countGQL(key, twenty)
	if r.Status != 200 || strings.Contains(string(r.Body), `"errors"`) || !strings.Contains(string(r.Body), `"__schema":{"types":[`) {
		t.Fatalf("20 levels of introspection refused: %d %.300s", r.Status, r.Body)
	}
	r, n := e.countGQL(key, twentyOne)
	r.expect(t, 422, `{"errors":[{"message":"The query is nested too deeply: 21 levels, the limit is 20.",
		"extensions":{"code":"DEPTH_LIMIT_EXCEEDED","depth":21,"limit":20}}],"data":null}`)
	if n != 1 {
		t.Errorf("refused query ran %d statements, want 1 (authentication)", n)
	}
}

func depthOf(t *testing.T, query string) (int, bool) {
	t.Helper()
	es := graph.NewExecutableSchema(graph.Config{})
	doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), query, nil)
	if errs != nil {
		t.Fatalf("%v", errs)
	}
	var op *ast.OperationDefinition = doc.Operations[0]
	return selectionDepth(op.SelectionSet)
}
