package httpapi

import (
	"fmt"
	"strings"
	"testing"
)

func TestOnboardingFilters(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	a, b := e.newCustomer(key, "A"), e.newCustomer(key, "B")
	mk := func(cid, name, extra string) {
		e.newOnboarding(key, cid, `"name":"`+name+`"`+extra)
	}
	mk(a, "a1", `,"phase":"review"`)
	mk(a, "a2", `,"phase":"review","state":"waiting"`)
	mk(a, "a3", `,"state":"paused"`)
	mk(b, "b1", `,"phase":"review","waiting_on_customer":true`)
	mk(b, "b2", `,"phase":"launch","state":"at_risk"`)
	mk(b, "b3", "")

	cases := []struct{ query, want string }{
		{"", "b3 b2 b1 a3 a2 a1"},
		{"?customer_id=" + a, "a3 a2 a1"},
		{"?customer_id=2", "b3 b2 b1"},
		{"?state=waiting", "b1 a2"},
		{"?state=active", "b3 a1"},
		{"?state=paused", "a3"},
		{"?phase=review", "b1 a2 a1"},
		{"?phase=completed", ""},
		{"?phase=review&state=waiting", "b1 a2"},
		{"?customer_id=1&phase=review&state=waiting", "a2"},
		{"?customer_id=" + b + "&state=at_risk", "b2"},
		{"?customer_id=" + b + "&state=paused", ""},
		{"?limit=2&phase=review", "b1 a2 a1"},
		{"?unknown=1&phase=launch", "b2"},
	}
	for _, c := range cases {
		names, _ := e.listNames(t, key, "/api/v1/onboardings"+c.query)
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("GET /onboardings%s = %q, want %q", c.query, got, c.want)
		}
	}
	nested := []struct{ path, want string }{
		{"/customers/" + a + "/onboardings", "a3 a2 a1"},
		{"/customers/1/onboardings?state=waiting", "a2"},
		{"/customers/2/onboardings?phase=review", "b1"},
		{"/customers/2/onboardings?phase=review&state=waiting", "b1"},
		{"/customers/2/onboardings?phase=review&state=active", ""},
		// The path names the customer; a customer_id parameter is ignored there.
		{"/customers/2/onboardings?customer_id=" + a, "b3 b2 b1"},
		{"/customers/2/onboardings?limit=1", "b3 b2 b1"},
	}
	for _, c := range nested {
		names, _ := e.listNames(t, key, "/api/v1"+c.path)
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("GET %s = %q, want %q", c.path, got, c.want)
		}
	}
	bad := func(path, code, field, msg string) {
		t.Helper()
		e.do("GET", "/api/v1"+path, key, "").expect(t, 400, fmt.Sprintf(
			`{"error":{"type":"invalid_request_error","code":%q,"message":%q,"field":%q}}`, code, msg, field))
	}
	for _, base := range []string{"/onboardings?", "/customers/1/onboardings?"} {
		bad(base+"state=stuck", "invalid_enum_value", "state", "state must be one of: active, paused, at_risk, waiting")
		bad(base+"phase=Review", "invalid_enum_value", "phase",
			"phase must be one of: before_getting_started, program_design, review, program_buildout, internal_qa, launch, completed")
		bad(base+"state=x&phase=y", "invalid_enum_value", "state", "state must be one of: active, paused, at_risk, waiting")
		bad(base+"limit=0", "too_small", "limit", "limit must be at least 1")
		bad(base+"limit=101", "too_big", "limit", "limit must be at most 100")
		bad(base+"limit=x", "invalid_type", "limit", "limit must be an integer")
		bad(base+"cursor=soon", "invalid_string", "cursor", "Invalid datetime")
	}
	// A bad query parameter is a 400 even when the customer does not exist.
	bad("/onboardings?customer_id=99&state=x", "invalid_enum_value", "state", "state must be one of: active, paused, at_risk, waiting")
}

func TestOnboardingPagination(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	a, b := e.newCustomer(key, "A"), e.newCustomer(key, "B")
	createOnboardingsInOneTransaction(t, e, a, 0, 30)
	createOnboardingsInOneTransaction(t, e, b, 30, 15)

	names, pages := e.listNames(t, key, "/api/v1/onboardings")
	if len(names) != 45 || pages != 2 {
		t.Fatalf("default walk: %d rows in %d pages, want 45 in 2 (limit 25)", len(names), pages)
	}
	for i, n := range names {
		if want := fmt.Sprintf("bulk %02d", 44-i); n != want {
			t.Fatalf("row %d = %s, want %s (newest first, no skips or repeats)", i, n, want)
		}
	}
	if n := len(e.do("GET", "/api/v1/onboardings", key, "").json(t)["data"].([]any)); n != 25 {
		t.Errorf("GET /onboardings default limit: %d rows, want 25", n)
	}
	if n := len(e.do("GET", "/api/v1/customers/"+a+"/onboardings", key, "").json(t)["data"].([]any)); n != 20 {
		t.Errorf("GET /customers/{id}/onboardings default limit: %d rows, want 20", n)
	}
	names, pages = e.listNames(t, key, "/api/v1/customers/"+a+"/onboardings?limit=7")
	if len(names) != 30 || pages != 5 || names[0] != "bulk 29" || names[29] != "bulk 00" {
		t.Errorf("customer walk: %d rows in %d pages: %v", len(names), pages, names)
	}
	names, pages = e.listNames(t, key, "/api/v1/onboardings?customer_id="+b+"&limit=5")
	if len(names) != 15 || pages != 3 || names[0] != "bulk 44" {
		t.Errorf("filtered walk: %d rows in %d pages: %v", len(names), pages, names)
	}
	// has_more is exact: a last page of exactly limit rows says false.
	r := e.do("GET", "/api/v1/onboardings?limit=45", key, "").json(t)
	if r["has_more"] != false || r["next_cursor"] != nil || len(r["data"].([]any)) != 45 {
		t.Errorf("exact last page: has_more %v", r["has_more"])
	}
	r = e.do("GET", "/api/v1/onboardings?limit=44", key, "").json(t)
	last := r["data"].([]any)[43].(map[string]any)
	if r["has_more"] != true || r["next_cursor"] != last["created_at"] {
		t.Errorf("next_cursor %v, want the last row's created_at %v", r["next_cursor"], last["created_at"])
	}
	e.do("GET", "/api/v1/onboardings?cursor=2000-01-01T00:00:00Z", key, "").expect(t, 200,
		`{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
}

// createOnboardingsInOneTransaction inserts n onboardings of customer cid, named
// "bulk NN" from first on, in one SQL transaction, the way a bulk import
// would: created_at must still be unique so that no walk skips a row.
func createOnboardingsInOneTransaction(t *testing.T, e *env, cid string, first, n int) {
	t.Helper()
	tx := e.store.MustBegin()
	for i := first; i < first+n; i++ {
		_, err := tx.Exec(`WITH s AS (
			INSERT INTO counters AS c (workspace_id, kind, last_display_id, last_created_at)
			SELECT workspace_id, 'onboarding', 1, date_trunc('microseconds', clock_timestamp()) FROM customers WHERE id = $1
			ON CONFLICT (workspace_id, kind) DO UPDATE SET last_display_id = c.last_display_id + 1,
				last_created_at = greatest(date_trunc('microseconds', clock_timestamp()), c.last_created_at + interval '1 microsecond')
			RETURNING workspace_id, last_display_id, last_created_at)
			INSERT INTO onboardings (workspace_id, id, display_id, customer_id, name, phase, state, started_at, created_at, updated_at)
			SELECT workspace_id, $2, last_display_id, $1, $3, 'before_getting_started', 'active', last_created_at, last_created_at, last_created_at FROM s`,
			cid, fmt.Sprintf("cbulkonb%017d", i), fmt.Sprintf("bulk %02d", i))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
