package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pivotal/auth"
	"pivotal/graph/model"
)

// countedGQL serves one GraphQL request through the production handler and
// returns the response with the number of SQL statements it ran (auth
// included), as the access log reports it: the access log counts each request
// under its own db.Stats, so the count is read from its line.
func (e *env) countedGQL(t *testing.T, key, query string, vars map[string]any) (response, int64) {
	t.Helper()
	var logs bytes.Buffer
	// The executor's loaders are under test here, not the fast path.
	h := New(e.res, slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, logSink), nil)), Options{DisableFastPath: true})
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var line struct {
		Msg           string `json:"msg"`
		SQLStatements *int64 `json:"sql_statements"`
	}
	for _, l := range bytes.Split(logs.Bytes(), []byte("\n")) {
		if json.Unmarshal(l, &line) == nil && line.Msg == "request" && line.SQLStatements != nil {
			return response{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}, *line.SQLStatements
		}
	}
	t.Fatalf("no access log line with sql_statements: %s", logs.Bytes())
	return response{}, 0
}

// seedNested makes n customers with k onboardings each (names "c<i>-o<j>").
func (e *env) seedNested(t *testing.T, key string, n, k int) {
	t.Helper()
	for i := 0; i < n; i++ {
		cid := e.newCustomer(key, fmt.Sprintf("c%02d", i))
		for j := 0; j < k; j++ {
			e.newOnboarding(key, cid, fmt.Sprintf(`"name":"c%02d-o%d","phase":"review"`, i, j))
		}
	}
}

// Nested onboardings cost one statement per level, however many parents, and
// the level-3 onboardings of the same customers (asked with another `first`)
// reuse what level 2 loaded: no statement of their own.
func TestOnboardingNestedStatements(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	e.seedNested(t, key, 12, 7)
	// The first request of a key records its use in the background; get it out of the way.
	e.gql(key, `{ me { livemode } }`, nil).expect(t, 200, "")

	base, n1 := e.countedGQL(t, key, `{ customers(first: 20) { nodes { name onboardings(first: 10) { nodes { id } } } } }`, nil)
	base.expect(t, 200, "")
	if n1 > 3 {
		t.Errorf("customers → onboardings: %d statements, want ≤ 3 (auth, customers, onboardings)", n1)
	}
	// Level 3 goes through Onboarding.customer (one batched statement) back to
	// Customer.onboardings with a smaller first, served from the shared loader.
	deep, n2 := e.countedGQL(t, key, `{ customers(first: 20) { nodes { name onboardings(first: 10) { nodes { id
		customer { onboardings(first: 5) { nodes { name } pageInfo { hasNextPage } } } } } } } }`, nil)
	deep.expect(t, 200, "")
	if n2 != n1+1 {
		t.Errorf("deep query: %d statements, want %d (one more, for the customers of level 3)", n2, n1+1)
	}
	var body struct {
		Data struct {
			Customers struct {
				Nodes []struct {
					Name        string
					Onboardings struct {
						Nodes []struct {
							Customer struct {
								Onboardings struct {
									Nodes    []struct{ Name string }
									PageInfo struct{ HasNextPage bool }
								}
							}
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(deep.Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Data.Customers.Nodes) != 12 {
		t.Fatalf("%d customers", len(body.Data.Customers.Nodes))
	}
	for _, c := range body.Data.Customers.Nodes {
		if len(c.Onboardings.Nodes) != 7 {
			t.Fatalf("%s: %d onboardings at level 2, want 7", c.Name, len(c.Onboardings.Nodes))
		}
		inner := c.Onboardings.Nodes[0].Customer.Onboardings
		var got []string
		for _, o := range inner.Nodes {
			got = append(got, o.Name)
		}
		want := fmt.Sprintf("%[1]s-o6 %[1]s-o5 %[1]s-o4 %[1]s-o3 %[1]s-o2", c.Name)
		if strings.Join(got, " ") != want || !inner.PageInfo.HasNextPage {
			t.Errorf("%s level 3: %v hasNext %v, want %s and true", c.Name, got, inner.PageInfo.HasNextPage, want)
		}
	}
	// The fetch size comes from the largest first anywhere in the operation,
	// fragments and variables included: a bigger first at level 3 still
	// gives correct pages at both levels with the same statement count.
	frag, n3 := e.countedGQL(t, key, `query($n: Int) { customers(first: 20) { nodes { onboardings(first: 2) { nodes { id
		customer { ...More } } pageInfo { hasNextPage } } } } }
		fragment More on Customer { onboardings(first: $n) { nodes { name } pageInfo { hasNextPage } } }`, map[string]any{"n": 6})
	frag.expect(t, 200, "")
	if n3 != n1+1 {
		t.Errorf("fragment query: %d statements, want %d", n3, n1+1)
	}
	if c := strings.Count(string(frag.Body), `"hasNextPage":true`); c != 12*2+12 {
		// Level 2 (first 2 of 7): 12 true; level 3 (first 6 of 7), twice per customer: 24 true.
		t.Errorf("hasNextPage true %d times, want %d: %s", c, 12*2+12, frag.Body)
	}
	if c := strings.Count(string(frag.Body), `"name":"c00-o`); c != 2*6 {
		t.Errorf("level 3 of c00 lists %d names, want 12 (6 for each of its two level-2 onboardings)", c)
	}

	// Timelines of a whole page: one statement.
	_, n4 := e.countedGQL(t, key, `{ onboardings(first: 50) { nodes { id timeline { from to actor at } } } }`, nil)
	if n4 > 3 {
		t.Errorf("onboardings → timeline: %d statements, want ≤ 3", n4)
	}

	// Through edges too, with every onboarding's timeline and customer: one
	// statement for each.
	edges, n6 := e.countedGQL(t, key, `{ customers(first: 20) { edges { node { onboardings(first: 10) { edges { node {
		timeline { to actor } customer { name } } } } } } } }`, nil)
	edges.expect(t, 200, "")
	if n6 != n1+2 {
		t.Errorf("customers → onboardings → timeline, customer: %d statements, want %d", n6, n1+2)
	}
	if c := strings.Count(string(edges.Body), `"timeline":[{"to":"REVIEW","actor":"API: test key"}]`); c != 12*7 {
		t.Errorf("%d timelines, want %d", c, 12*7)
	}

	// The reference path customers → contacts → onboardings: the contacts'
	// onboardings come from the loader the customers' onboardings filled.
	full, n5 := e.countedGQL(t, key, `{ customers(first: 20) { nodes { onboardings(first: 10) { nodes { id } }
		contacts(first: 5) { nodes { onboardings(first: 5) { nodes { id } } } } } } }`, nil)
	full.expect(t, 200, "")
	if n5 > n1+1 {
		t.Errorf("customers → contacts → onboardings: %d statements, want ≤ %d", n5, n1+1)
	}
}

// identityCtx is a request context authenticated with key.
func (e *env) identityCtx(t *testing.T, key string) context.Context {
	t.Helper()
	id, err := e.res.Authenticate(context.Background(), "Bearer "+key)
	if err != nil {
		t.Fatal(err)
	}
	return auth.WithIdentity(context.Background(), id)
}

// Contact.onboardings lists every onboarding of the contact's customer, and
// nested resolvers never reach into another workspace even when handed its ids.
func TestOnboardingNestedResolversDirect(t *testing.T) {
	e := newEnv(t)
	a, b := e.key("alpha"), e.key("beta")
	cid := e.newCustomer(a, "Aurora")
	oid := e.newOnboarding(a, cid, `"name":"first","phase":"launch"`)
	e.newOnboarding(a, cid, `"name":"second","state":"waiting"`)
	ctxA, ctxB := e.identityCtx(t, a), e.identityCtx(t, b)
	contact := &model.Contact{ID: "ccontact00000000000000000", CustomerID: cid}
	first := 1
	waiting := model.OnboardingStateWaiting

	conn, err := e.res.Contact().Onboardings(ctxA, contact, nil, nil, nil)
	if err != nil || len(conn.Nodes) != 2 || conn.Nodes[0].Name != "second" || conn.PageInfo.HasNextPage {
		t.Fatalf("contact onboardings: %+v %v", conn, err)
	}
	conn, err = e.res.Contact().Onboardings(ctxA, contact, &first, nil, nil)
	if err != nil || len(conn.Nodes) != 1 || !conn.PageInfo.HasNextPage {
		t.Fatalf("contact onboardings first 1: %+v %v", conn, err)
	}
	conn, err = e.res.Contact().Onboardings(ctxA, contact, nil, conn.PageInfo.EndCursor, nil)
	if err != nil || len(conn.Nodes) != 1 || conn.Nodes[0].Name != "first" {
		t.Fatalf("contact onboardings after: %+v %v", conn, err)
	}
	conn, err = e.res.Contact().Onboardings(ctxA, contact, nil, nil, &model.CustomerOnboardingFilter{State: &waiting})
	if err != nil || len(conn.Nodes) != 1 || conn.Nodes[0].Name != "second" {
		t.Fatalf("contact onboardings filtered: %+v %v", conn, err)
	}

	// Workspace B handed A's ids gets nothing.
	if conn, err := e.res.Contact().Onboardings(ctxB, contact, nil, nil, nil); err != nil || len(conn.Nodes) != 0 {
		t.Errorf("cross-workspace contact onboardings: %+v %v", conn, err)
	}
	if conn, err := e.res.Customer().Onboardings(ctxB, &model.Customer{ID: cid}, nil, nil, nil); err != nil || len(conn.Nodes) != 0 {
		t.Errorf("cross-workspace customer onboardings: %+v %v", conn, err)
	}
	if tl, err := e.res.Onboarding().Timeline(ctxB, &model.Onboarding{ID: oid}); err != nil || len(tl) != 0 {
		t.Errorf("cross-workspace timeline: %+v %v", tl, err)
	}
	if c, err := e.res.Onboarding().Customer(ctxB, &model.Onboarding{ID: oid, CustomerID: cid}); err == nil {
		t.Errorf("cross-workspace onboarding customer: %+v", c)
	}
	e.do("PATCH", "/api/v1/onboardings/"+oid, a, `{"phase":"review"}`).expect(t, 200, "")
	tl, err := e.res.Onboarding().Timeline(ctxA, &model.Onboarding{ID: oid})
	if err != nil || len(tl) != 2 || tl[0].To != model.OnboardingPhaseReview || tl[0].From == nil ||
		*tl[0].From != model.OnboardingPhaseLaunch || tl[1].To != model.OnboardingPhaseLaunch || tl[1].From != nil ||
		tl[0].Actor != "API: test key" || !time.Time(tl[0].At).After(time.Time(tl[1].At)) {
		t.Errorf("timeline (newest first): %+v %v", tl, err)
	}
	// Once the customer is deleted its contacts' onboardings are gone too.
	e.do("DELETE", "/api/v1/customers/"+cid, a, "").expect(t, 200, "")
	if conn, err := e.res.Contact().Onboardings(e.identityCtx(t, a), contact, nil, nil, nil); err != nil || len(conn.Nodes) != 0 {
		t.Errorf("onboardings of a deleted customer: %+v %v", conn, err)
	}
}
