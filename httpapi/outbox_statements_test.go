package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"pivotal/resolvers"
)

// restStatements serves one REST request in-process with res and returns the
// SQL statements it caused (as the access log counts them) and the body.
func (e *env) restStatements(res *resolvers.Resolver, outbox bool, method, path, key, body string) (int64, string) {
	e.t.Helper()
	var logged lockedBuffer
	h := New(res, slog.New(slog.NewJSONHandler(io.MultiWriter(&logged, logSink), nil)), Options{})
	if !outbox {
		res.Resource = nil // New wired the renderer; without it no event is written
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		e.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		var entry struct {
			Msg        string `json:"msg"`
			Statements *int64 `json:"sql_statements"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "request" && entry.Statements != nil {
			return *entry.Statements, rec.Body.String()
		}
	}
	e.t.Fatalf("no access log line with sql_statements in %s", logged.String())
	return 0, ""
}

// TestOutboxAddsNoStatement: a write's events, however many (one to three
// here), cost no statement of their own: they are written by the statement
// that writes the audit trail, which every write has. (The contract allows one
// more statement per write; this is zero.) A write that changes nothing writes
// neither.
func TestOutboxAddsNoStatement(t *testing.T) {
	e := newEnv(t)
	key := e.key("stmts")
	cust := e.newCustomer(key, "Counted")
	onb := e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cust+`"}`).str(t, "id")
	e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, `{"name":"P","email":"p@x.test","is_primary":true}`).expect(t, 201, "")
	events := func() int {
		var n int
		if err := e.store.GetContext(context.Background(), &n, `SELECT count(*) FROM events`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := events()
	for _, w := range []struct {
		name, method, path string
		bodies             [2]string // without and with the outbox
	}{
		{"create customer (1 event)", "POST", "/api/v1/customers", [2]string{`{"name":"A"}`, `{"name":"B"}`}},
		{"customer at risk (2 events)", "PATCH", "/api/v1/customers/" + cust, [2]string{`{"status":"at_risk"}`, `{"status":"churned"}`}},
		{"new primary contact (2 events)", "POST", "/api/v1/customers/" + cust + "/contacts", [2]string{`{"name":"Q","email":"q@x.test","is_primary":true}`, `{"name":"R","email":"r@x.test","is_primary":true}`}},
		{"onboarding launched (3 events)", "PATCH", "/api/v1/onboardings/" + onb, [2]string{`{"phase":"internal_qa"}`, `{"phase":"launch"}`}},
		{"no-op update", "PATCH", "/api/v1/customers/" + cust, [2]string{`{}`, `{}`}},
	} {
		var n [2]int64
		for i, outbox := range []bool{false, true} {
			res := resolvers.New(e.store, nil)
			n[i], _ = e.restStatements(res, outbox, w.method, w.path, key, w.bodies[i])
		}
		if n[1] != n[0] {
			t.Errorf("%s: %d statements without the outbox, %d with it", w.name, n[0], n[1])
		}
		t.Logf("%s: %d statements without the outbox, %d with it", w.name, n[0], n[1])
	}
	// 1 + 2 + 2 + 3 events with the outbox, none without.
	if got := events() - before; got != 8 {
		t.Errorf("%d events written, want 8", got)
	}
}
