package httpapi

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"pivotal/db"
	"pivotal/db/dbtest"
)

func TestContactAuthentication(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	id := e.newContact(key, cust, `{"name":"Maya","email":"maya@aurora.example"}`)
	missing := `{"error":{"type":"authentication_error","code":"missing_api_key","message":"$any"}}`
	invalid := `{"error":{"type":"authentication_error","code":"invalid_api_key","message":"Invalid API key provided."}}`
	routes := []struct{ method, path, body string }{
		{"GET", "/api/v1/customers/" + cust + "/contacts", ""},
		{"POST", "/api/v1/customers/" + cust + "/contacts", `{"name":"x","email":"x@aurora.example"}`},
		{"GET", "/api/v1/contacts/" + id, ""},
		{"PATCH", "/api/v1/contacts/" + id, `{"name":"pwned"}`},
		{"DELETE", "/api/v1/contacts/" + id, ""},
	}
	for _, r := range routes {
		e.do(r.method, r.path, "", r.body).expect(t, 401, missing)
		e.do(r.method, r.path, "pivotal_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", r.body).expect(t, 401, invalid)
	}
	// Nothing changed.
	e.do("GET", "/api/v1/customers/"+cust+"/contacts", key, "").expect(t, 200, `{"object":"list","data":[{"object":"contact",
		"id":"`+id+`","display_id":1,"customer_id":"`+cust+`","name":"Maya","email":"maya@aurora.example","title":null,
		"is_primary":false,"labels":[],"created_at":"$time","updated_at":"$time"}],"has_more":false,"next_cursor":null}`)
}

// TestContactNotFound covers every route with ids that name nothing the caller
// may see: unknown, deleted, of another workspace, of a deleted customer.
func TestContactNotFound(t *testing.T) {
	e := newEnv(t)
	key, otherKey := e.key("acme"), e.key("other")
	cust := e.newCustomer(key, "Aurora")
	live := e.newContact(key, cust, `{"name":"Maya","email":"maya@aurora.example"}`)
	gone := e.newContact(key, cust, `{"name":"Gone","email":"gone@aurora.example"}`)
	e.do("DELETE", "/api/v1/contacts/"+gone, key, "").expect(t, 200, "")
	deletedCust := e.newCustomer(key, "Closed")
	orphan := e.newContact(key, deletedCust, `{"name":"Orphan","email":"orphan@closed.example","is_primary":true}`)
	e.do("DELETE", "/api/v1/customers/"+deletedCust, key, "").expect(t, 200, "")
	foreignCust := e.newCustomer(otherKey, "Foreign")
	foreign := e.newContact(otherKey, foreignCust, `{"name":"Foreign","email":"f@foreign.example"}`)

	// Contact routes: every id form of every contact the caller may not see.
	// (A display id names an object of the caller's own workspace, so across
	// workspaces only cuids can be tried.)
	cases := []struct{ name, key, ref string }{
		{"unknown cuid", key, "cnotthere0000000000000000"}, {"unknown display id", key, "99"},
		{"zero", key, "0"}, {"not an id", key, "maya"},
		{"deleted", key, gone}, {"deleted by display id", key, "2"},
		{"customer deleted", key, orphan}, {"customer deleted by display id", key, "3"},
		{"other workspace", key, foreign}, {"from the other workspace", otherKey, live},
	}
	for _, c := range cases {
		e.do("GET", "/api/v1/contacts/"+c.ref, c.key, "").expect(t, 404, notFoundJSON("contact"))
		e.do("PATCH", "/api/v1/contacts/"+c.ref, c.key, `{"name":"pwned"}`).expect(t, 404, notFoundJSON("contact"))
		if c.ref != gone && c.ref != "2" {
			// A deleted contact's DELETE repeats its answer (TestContactDelete).
			e.do("DELETE", "/api/v1/contacts/"+c.ref, c.key, "").expect(t, 404, notFoundJSON("contact"))
		}
	}

	// Customer routes: unknown, deleted, other workspace.
	for _, c := range []struct{ key, ref string }{
		{key, "cnotthere0000000000000000"}, {key, "99"}, {key, "aurora"}, {key, deletedCust}, {key, "2"},
		{key, foreignCust}, {otherKey, cust},
	} {
		e.do("GET", "/api/v1/customers/"+c.ref+"/contacts", c.key, "").expect(t, 404, notFoundJSON("customer"))
		e.do("POST", "/api/v1/customers/"+c.ref+"/contacts", c.key, `{"name":"x","email":"new@x.example"}`).expect(t, 404, notFoundJSON("customer"))
	}
	// The orphan's primary flag does not leak into anything: the deleted
	// customer's contact stays in the table, untouched.
	var n int
	e.store.Get(&n, `SELECT count(*) FROM contacts WHERE id = $1 AND deleted_at IS NULL AND name = 'Orphan'`, orphan)
	if n != 1 {
		t.Errorf("a deleted customer's contact must survive in the database untouched")
	}
	// The visible data is exactly what it was.
	e.do("GET", "/api/v1/contacts/"+live, key, "").expect(t, 200, `{"object":"contact","id":"`+live+`","display_id":1,
		"customer_id":"`+cust+`","name":"Maya","email":"maya@aurora.example","title":null,"is_primary":false,"labels":[],
		"created_at":"$time","updated_at":"$time"}`)
	e.do("GET", "/api/v1/contacts/"+foreign, otherKey, "").expect(t, 200, `{"object":"contact","id":"`+foreign+`","display_id":1,
		"customer_id":"`+foreignCust+`","name":"Foreign","email":"f@foreign.example","title":null,"is_primary":false,"labels":[],
		"created_at":"$time","updated_at":"$time"}`)
	if n := len(e.do("GET", "/api/v1/customers/"+cust+"/contacts", key, "").json(t)["data"].([]any)); n != 1 {
		t.Errorf("list holds %d contacts, want only the live one", n)
	}
}

func TestContactPagination(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust, other := e.newCustomer(key, "Aurora"), e.newCustomer(key, "Birch")
	for i := 0; i < 25; i++ {
		e.newContact(key, cust, fmt.Sprintf(`{"name":"c%02d","email":"c%02d@aurora.example"}`, i, i))
		if i%5 == 0 {
			e.newContact(key, other, fmt.Sprintf(`{"name":"o%02d","email":"o%02d@birch.example"}`, i, i))
		}
	}
	seen, pages := e.listNames(t, key, "/api/v1/customers/"+cust+"/contacts?limit=10")
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("walk saw %d rows in %d pages, want 25 in 3", len(seen), pages)
	}
	for i, n := range seen {
		if want := fmt.Sprintf("c%02d", 24-i); n != want {
			t.Fatalf("row %d = %s, want %s (newest first, no skips or repeats)", i, n, want)
		}
	}
	r := e.do("GET", "/api/v1/customers/"+cust+"/contacts?limit=25", key, "").json(t)
	if r["has_more"] != false || len(r["data"].([]any)) != 25 {
		t.Errorf("exact last page: has_more %v", r["has_more"])
	}
	if n := len(e.do("GET", "/api/v1/customers/"+cust+"/contacts", key, "").json(t)["data"].([]any)); n != 20 {
		t.Errorf("default limit: %d rows", n)
	}
	bad := func(q, code, msg string) {
		t.Helper()
		e.do("GET", "/api/v1/customers/"+cust+"/contacts?"+q, key, "").expect(t, 400, fmt.Sprintf(
			`{"error":{"type":"invalid_request_error","code":%q,"message":%q,"field":%q}}`, code, msg, strings.SplitN(q, "=", 2)[0]))
	}
	bad("limit=0", "too_small", "limit must be at least 1")
	bad("limit=101", "too_big", "limit must be at most 100")
	bad("limit=ten", "invalid_type", "limit must be an integer")
	bad("cursor=yesterday", "invalid_string", "Invalid datetime")
	e.do("GET", "/api/v1/customers/"+cust+"/contacts?cursor=2000-01-01T00:00:00Z", key, "").expect(t, 200, emptyList)
}

func TestContactConcurrentEmail(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	const n = 20
	bodies := make(chan response, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Spellings differ; the normalized address is the same.
			email := []string{"race@aurora.example", " RACE@aurora.example", "Race@Aurora.Example "}[i%3]
			bodies <- e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, fmt.Sprintf(`{"name":"r%d","email":%q}`, i, email))
		}(i)
	}
	wg.Wait()
	close(bodies)
	count := map[int]int{}
	for r := range bodies {
		count[r.Status]++
		if r.Status == 409 {
			r.expect(t, 409, `{"error":{"type":"conflict","code":"email_taken","message":"A contact with email \"race@aurora.example\" already exists for this customer.","field":"email"}}`)
		}
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses %v, want one 201 and %d 409s", count, n-1)
	}
	var rows int
	e.store.Get(&rows, `SELECT count(*) FROM contacts WHERE email = 'race@aurora.example'`)
	if rows != 1 {
		t.Fatalf("%d rows stored, want 1", rows)
	}
}

func TestContactConcurrentPromotion(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	const n = 10
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.newContact(key, cust, fmt.Sprintf(`{"name":"p%d","email":"p%d@aurora.example","is_primary":%v}`, i, i, i == 0))
	}
	primaries := func() int {
		t.Helper()
		var c int
		if err := e.store.Get(&c, `SELECT count(*) FROM contacts WHERE customer_id = $1 AND is_primary AND deleted_at IS NULL`, cust); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Promotions, primary creates and plain creates all at once: every one
	// must succeed, and none may deadlock against another.
	statuses := make(chan int, 3*n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(3)
		go func(id string) {
			defer wg.Done()
			statuses <- e.do("PATCH", "/api/v1/contacts/"+id, key, `{"is_primary":true}`).Status
		}(ids[i])
		go func(i int) {
			defer wg.Done()
			statuses <- e.do("POST", "/api/v1/customers/"+cust+"/contacts", key,
				fmt.Sprintf(`{"name":"new%d","email":"new%d@aurora.example","is_primary":true}`, i, i)).Status
		}(i)
		go func(i int) {
			defer wg.Done()
			statuses <- e.do("POST", "/api/v1/customers/"+cust+"/contacts", key,
				fmt.Sprintf(`{"name":"plain%d","email":"plain%d@aurora.example"}`, i, i)).Status
		}(i)
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 && s != 201 {
			t.Errorf("status %d, want every request to succeed", s)
		}
	}
	if p := primaries(); p != 1 {
		t.Fatalf("%d primary contacts after concurrent promotions, want exactly 1", p)
	}
	if d := e.deadlocks(); d != 0 {
		t.Errorf("%d deadlocks detected (and retried): the lock order is broken", d)
	}
}

// deadlocks returns how many deadlocks PostgreSQL detected in the test's
// database. A backend reports its statistics when it exits, so this closes the
// server and the pool first: call it last.
func (e *env) deadlocks() int64 {
	e.t.Helper()
	var name string
	if err := e.store.Get(&name, `SELECT current_database()`); err != nil {
		e.t.Fatal(err)
	}
	e.srv.Close()
	e.store.Close()
	admin, err := db.Open(dbtest.AdminURL(), db.Options{MaxOpenConns: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	defer admin.Close()
	var n int64
	// Wait for the closed backends to be gone, and so to have reported: a count
	// read before that could miss the deadlocks. The deadline only ends a wait
	// that would hang; reaching it fails the test.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var backends int
		err := admin.Get(&backends, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, name)
		if err != nil {
			e.t.Fatal(err)
		}
		if backends == 0 {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d backends of %s still running: their deadlocks may not be counted yet", backends, name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := admin.Get(&n, `SELECT deadlocks FROM pg_stat_database WHERE datname = $1`, name); err != nil {
		e.t.Fatal(err)
	}
	return n
}
