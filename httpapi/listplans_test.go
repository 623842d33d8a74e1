package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db"
	"pivotal/gqltypes"
)

// tenantTables are the tables whose size grows with a tenant's data (api_keys
// is read by its unique hash index, and holds one row here, which PostgreSQL
// rightly scans).
var tenantTables = map[string]bool{
	"customers": true, "contacts": true, "onboardings": true, "phase_transitions": true, "audit_events": true,
}

// TestListStatementsUseExactIndexes seeds a workspace large enough for the
// planner to care (20,000 customers; every filter has a dense and a sparse
// value, see db.Seed), sends every documented list filter through the
// server, dense and sparse, plus pages far into a cursor walk, records the
// statements each request really ran, and EXPLAIN ANALYZEs them: none may
// read a tenant table with a sequential scan, or with an index scan that
// filters away more rows than it returns (a list index walked and filtered
// row by row, whose cost grows with the table, not the page).
func TestListStatementsUseExactIndexes(t *testing.T) {
	e := newEnv(t)
	key := e.key("scale", "unlimited")
	ctx := context.Background()
	w, err := db.FindWorkspaceBySlug(ctx, e.store, "scale")
	if err != nil {
		t.Fatal(err)
	}
	const customers = 20000
	if _, err := db.Seed(ctx, e.store, w.ID, db.SeedSpec{Customers: customers, ContactsPer: 2, OnboardingsPer: 3, Actor: "API: seed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	// The oldest customer owns 1 % of the onboardings (a dense customer_id),
	// the newest three (sparse); cursors 90 % of the way down each list.
	var oldest, newest string
	var farCustomer, farOnboarding time.Time
	err = e.store.QueryRowContext(ctx, `SELECT
		(SELECT id FROM customers WHERE workspace_id = $1 ORDER BY created_at LIMIT 1),
		(SELECT id FROM customers WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 1),
		(SELECT created_at FROM customers WHERE workspace_id = $1 ORDER BY created_at DESC OFFSET $2 LIMIT 1),
		(SELECT created_at FROM onboardings WHERE workspace_id = $1 ORDER BY created_at DESC OFFSET $3 LIMIT 1)`,
		w.ID, customers*9/10, customers*3*9/10).Scan(&oldest, &newest, &farCustomer, &farOnboarding)
	if err != nil {
		t.Fatal(err)
	}
	restCursor := func(t time.Time) string { return url.QueryEscape(t.UTC().Format(time.RFC3339Nano)) }
	gqlCursor := func(t time.Time) string {
		return base64.RawURLEncoding.EncodeToString([]byte("t:" + gqltypes.FormatTime(t)))
	}

	// Each request must answer rows (but "slug none"), so that a filter that
	// silently matched nothing cannot pass.
	type request struct{ name, method, path, body string }
	gql := func(name, query string) request { return request{name, "POST", "/graphql", gqlBody(query)} }
	get := func(name, path string) request { return request{name, "GET", path, ""} }
	requests := []request{
		get("R1", "/api/v1/customers?limit=100"),
		get("customers status dense", "/api/v1/customers?limit=100&status=active"),
		get("customers status sparse", "/api/v1/customers?limit=100&status=churned"),
		get("customers slug", "/api/v1/customers?limit=100&slug=seed-17"),
		get("customers slug none", "/api/v1/customers?limit=100&slug=nobody"),
		get("customers far cursor", "/api/v1/customers?limit=100&cursor="+restCursor(farCustomer)),
		get("customers status sparse far cursor", "/api/v1/customers?limit=100&status=churned&cursor="+restCursor(farCustomer)),
		get("onboardings", "/api/v1/onboardings?limit=100"),
		get("onboardings state dense", "/api/v1/onboardings?limit=100&state=active"),
		get("onboardings state sparse", "/api/v1/onboardings?limit=100&state=paused"),
		get("onboardings waiting sparse", "/api/v1/onboardings?limit=100&state=waiting"),
		get("onboardings phase dense", "/api/v1/onboardings?limit=100&phase=review"),
		get("onboardings phase sparse", "/api/v1/onboardings?limit=100&phase=internal_qa"),
		get("onboardings customer_id dense", "/api/v1/onboardings?limit=100&customer_id="+oldest),
		get("onboardings customer_id sparse", "/api/v1/onboardings?limit=100&customer_id="+newest),
		get("onboardings far cursor", "/api/v1/onboardings?limit=100&cursor="+restCursor(farOnboarding)),
		get("customer's onboardings", "/api/v1/customers/"+oldest+"/onboardings?limit=100"),
		get("customer's contacts", "/api/v1/customers/"+newest+"/contacts?limit=100"),
		gql("Q2", q2),
		gql("Q3", q3),
		gql("gql customers status sparse", `{ customers(first: 100, filter: {status: CHURNED}) { nodes { id name } } }`),
		gql("gql customers status dense", `{ customers(first: 100, filter: {status: ACTIVE}) { nodes { id name } } }`),
		gql("gql customers slug", `{ customers(first: 100, filter: {slug: "seed-17"}) { nodes { id name } } }`),
		gql("gql customers far cursor", `{ customers(first: 100, after: "`+gqlCursor(farCustomer)+`") { nodes { id name } } }`),
		gql("gql onboardings state sparse", `{ onboardings(first: 100, filter: {state: PAUSED}) { nodes { id } } }`),
		gql("gql onboardings waiting sparse", `{ onboardings(first: 100, filter: {state: WAITING}) { nodes { id } } }`),
		gql("gql onboardings phase sparse", `{ onboardings(first: 100, filter: {phase: INTERNAL_QA}) { nodes { id } } }`),
		gql("gql onboardings customer dense", `{ onboardings(first: 100, filter: {customerId: "`+oldest+`"}) { nodes { id } } }`),
		gql("gql onboardings far cursor", `{ onboardings(first: 100, after: "`+gqlCursor(farOnboarding)+`") { nodes { id } } }`),
	}
	h := e.srv.Config.Handler
	for _, r := range requests {
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
		if r.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+key)
		leaktest.Key(key)
		rctx, stmts := db.WithStatementLog(context.Background())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(rctx))
		if rec.Code != 200 || strings.Contains(rec.Body.String(), `"errors"`) {
			t.Fatalf("%s: %d %.300s", r.name, rec.Code, rec.Body)
		}
		if r.name != "customers slug none" && !strings.Contains(rec.Body.String(), `"id":"c`) {
			t.Fatalf("%s: no rows in %.300s", r.name, rec.Body)
		}
		reads := 0
		for _, s := range stmts.Statements() {
			q := strings.TrimSpace(s.Query)
			if !strings.HasPrefix(strings.ToUpper(q), "SELECT") && !strings.HasPrefix(strings.ToUpper(q), "WITH") {
				continue
			}
			reads++
			for _, bad := range explainBadScans(t, e, q, s.Args) {
				t.Errorf("%s: %s\n  in %.400s", r.name, bad, strings.Join(strings.Fields(q), " "))
			}
		}
		if reads < 2 { // the key and the page at least
			t.Fatalf("%s: only %d reads recorded", r.name, reads)
		}
	}
}

// explainBadScans runs EXPLAIN ANALYZE on a read (in a transaction rolled back
// afterwards) and describes each scan of a tenant table that is sequential, or
// that filters away more rows than it returns.
func explainBadScans(t *testing.T, e *env, query string, args []any) []string {
	t.Helper()
	tx, err := e.store.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var out []byte
	if err := tx.QueryRow(`EXPLAIN (ANALYZE, FORMAT JSON) `+query, args...).Scan(&out); err != nil {
		t.Fatalf("explain: %v\n%s", err, query)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("explain output: %v\n%s", err, out)
	}
	var bad []string
	var walk func(n planNode)
	walk = func(n planNode) {
		if tenantTables[n.Relation] {
			removed := n.RemovedByFilter + n.RemovedByRecheck
			switch {
			case n.Type == "Seq Scan":
				bad = append(bad, fmt.Sprintf("Seq Scan on %s (%v rows, %v removed)", n.Relation, n.Rows, removed))
			case removed > 20 && removed > n.Rows:
				bad = append(bad, fmt.Sprintf("%s on %s using %s returns %v rows and filters away %v (filter %s)",
					n.Type, n.Relation, n.Index, n.Rows, removed, n.Filter))
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	return bad
}

// planNode is the part of EXPLAIN (FORMAT JSON)'s node the test reads; row
// counts are per loop, as PostgreSQL reports them.
type planNode struct {
	Type             string     `json:"Node Type"`
	Relation         string     `json:"Relation Name"`
	Index            string     `json:"Index Name"`
	Filter           string     `json:"Filter"`
	Rows             float64    `json:"Actual Rows"`
	RemovedByFilter  float64    `json:"Rows Removed by Filter"`
	RemovedByRecheck float64    `json:"Rows Removed by Index Recheck"`
	Plans            []planNode `json:"Plans"`
}
