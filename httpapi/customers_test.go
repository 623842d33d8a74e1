package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"pivotal/auth"
	"pivotal/db"
)

const customerDefaults = `"domain":null,"status":"active","plan":null,"mrr":null,"monthly_orders":null,
	"hubspot_company_id":null,"hubspot_deal_id":null,"stripe_customer_id":null,"intercom_company_id":null,
	"slack_channel_id":null,"metadata":{},"created_at":"$time","updated_at":"$time"`

func TestCustomerCreateAndRead(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")

	r := e.do("POST", "/api/v1/customers", key, `{"name":"Aurora Outfitters","domain":"Aurora.Example","mrr":4200,
		"status":"onboarding","metadata":{"b":1,"a":[true,null,"x<y"]},"id":"ignored","display_id":99,"unknown":1}`)
	r.expect(t, 201, `{"object":"customer","id":"$cuid","display_id":1,"name":"Aurora Outfitters",
		"slug":"aurora-outfitters","domain":"aurora.example","status":"onboarding","plan":null,"mrr":4200,
		"monthly_orders":null,"hubspot_company_id":null,"hubspot_deal_id":null,"stripe_customer_id":null,
		"intercom_company_id":null,"slack_channel_id":null,"metadata":{"b":1,"a":[true,null,"x<y"]},
		"created_at":"$time","updated_at":"$time"}`)
	if !strings.Contains(string(r.Body), `"metadata":{"b":1,"a":[true,null,"x<y"]}`) {
		t.Errorf("metadata not returned intact: %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	id := r.str(t, "id")
	created := r.Body

	// By cuid and by display id, the same body.
	for _, ref := range []string{id, "1"} {
		g := e.do("GET", "/api/v1/customers/"+ref, key, "")
		g.expect(t, 200, "")
		if string(g.Body) != string(created) {
			t.Errorf("GET %s = %s, want %s", ref, g.Body, created)
		}
	}
	// A slug is not an id.
	e.do("GET", "/api/v1/customers/aurora-outfitters", key, "").expect(t, 404,
		`{"error":{"type":"not_found","code":"customer_not_found","message":"No such customer."}}`)
	e.do("GET", "/api/v1/customers/2", key, "").expect(t, 404, `{"error":{"type":"not_found","code":"customer_not_found","message":"$any"}}`)
	e.do("GET", "/api/v1/customers/99999999999999999999999", key, "").expect(t, 404, `{"error":{"type":"not_found","code":"customer_not_found","message":"$any"}}`)

	// Display ids count per workspace.
	r2 := e.do("POST", "/api/v1/customers", key, `{"name":"Birch"}`)
	r2.expect(t, 201, `{"object":"customer","id":"$cuid","display_id":2,"name":"Birch","slug":"birch",`+customerDefaults+`}`)
	other := e.key("other")
	e.do("POST", "/api/v1/customers", other, `{"name":"Birch"}`).expect(t, 201,
		`{"object":"customer","id":"$cuid","display_id":1,"name":"Birch","slug":"birch",`+customerDefaults+`}`)
}

func TestCustomerSlugs(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cases := []struct{ name, body, slug string }{
		{"derived", `{"name":"  Cobalt Coffee Co.  "}`, "cobalt-coffee-co"},
		{"suffix 2", `{"name":"Cobalt Coffee Co"}`, "cobalt-coffee-co-2"},
		{"suffix 3", `{"name":"cobalt coffee co!"}`, "cobalt-coffee-co-3"},
		{"no ascii", `{"name":"日本語"}`, "customer"},
		{"no ascii again", `{"name":"---"}`, "customer-2"},
		{"explicit", `{"name":"X","slug":"my-slug"}`, "my-slug"},
		{"long", `{"name":"` + strings.Repeat("ab ", 60) + `"}`, strings.TrimSuffix(strings.Repeat("ab-", 34)[:100], "-")},
		{"long again", `{"name":"` + strings.Repeat("ab ", 60) + `"}`, strings.TrimSuffix(strings.Repeat("ab-", 34)[:98], "-") + "-2"},
	}
	for _, c := range cases {
		r := e.do("POST", "/api/v1/customers", key, c.body)
		r.expect(t, 201, "")
		if got := r.str(t, "slug"); got != c.slug {
			t.Errorf("%s: slug %q, want %q", c.name, got, c.slug)
		}
	}
	e.do("POST", "/api/v1/customers", key, `{"name":"Y","slug":"my-slug"}`).expect(t, 409,
		`{"error":{"type":"conflict","code":"slug_taken","message":"A customer with slug \"my-slug\" already exists.","field":"slug"}}`)
	// A deleted customer's slug is free again.
	e.do("DELETE", "/api/v1/customers/my-slug", key, "").expect(t, 404, "")
	list := e.do("GET", "/api/v1/customers?slug=my-slug", key, "").json(t)
	id := list["data"].([]any)[0].(map[string]any)["id"].(string)
	e.do("DELETE", "/api/v1/customers/"+id, key, "").expect(t, 200, "")
	e.do("POST", "/api/v1/customers", key, `{"name":"Y","slug":"my-slug"}`).expect(t, 201, "")
}

func TestCustomerValidation(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	long := func(n int) string { return strings.Repeat("a", n) }
	bigMeta := `{"k":"` + long(16*1024) + `"}`
	manyKeys := "{"
	for i := 0; i < 51; i++ {
		if i > 0 {
			manyKeys += ","
		}
		manyKeys += fmt.Sprintf(`"k%d":%d`, i, i)
	}
	manyKeys += "}"
	cases := []struct {
		name, body, code, field, message string
	}{
		{"missing name", `{}`, "missing_field", "name", "name is required"},
		{"missing before types", `{"mrr":"x"}`, "missing_field", "name", "name is required"},
		{"null name", `{"name":null}`, "invalid_type", "name", "name must be a string"},
		{"number name", `{"name":5}`, "invalid_type", "name", "name must be a string"},
		{"empty name", `{"name":""}`, "too_small", "name", "name must not be empty"},
		{"long name", `{"name":"` + long(256) + `"}`, "too_big", "name", "name must be at most 255 characters"},
		{"types before bounds", `{"name":"","mrr":"1"}`, "invalid_type", "mrr", "mrr must be an integer"},
		{"bounds before enums", `{"name":"a","status":"nope","plan":"` + long(101) + `"}`, "too_big", "plan", "plan must be at most 100 characters"},
		{"enum", `{"name":"a","status":"Active"}`, "invalid_enum_value", "status", "status must be one of: onboarding, active, at_risk, churned, archived"},
		{"null status", `{"name":"a","status":null}`, "invalid_type", "status", "status must be a string"},
		{"slug format", `{"name":"a","slug":"-bad"}`, "invalid_string", "slug", "$any"},
		{"slug upper", `{"name":"a","slug":"Bad"}`, "invalid_string", "slug", "$any"},
		{"slug long", `{"name":"a","slug":"` + long(101) + `"}`, "too_big", "slug", "slug must be at most 100 characters"},
		{"enum before format", `{"name":"a","slug":"-x","status":"x"}`, "invalid_enum_value", "status", "$any"},
		{"negative mrr", `{"name":"a","mrr":-1}`, "too_small", "mrr", "mrr must be at least 0"},
		{"float mrr", `{"name":"a","mrr":1.5}`, "invalid_type", "mrr", "mrr must be an integer"},
		{"huge mrr", `{"name":"a","mrr":1e400}`, "invalid_type", "mrr", "mrr must be an integer"},
		{"huge int", `{"name":"a","monthly_orders":123456789012345678901234567890}`, "too_big", "monthly_orders", "$any"},
		{"metadata type", `{"name":"a","metadata":[1]}`, "invalid_type", "metadata", "metadata must be an object"},
		{"metadata size", `{"name":"a","metadata":` + bigMeta + `}`, "too_big", "metadata", "metadata must be at most 16 KiB when serialized"},
		{"metadata keys", `{"name":"a","metadata":` + manyKeys + `}`, "too_big", "metadata", "metadata must have at most 50 keys"},
		{"long id field", `{"name":"a","stripe_customer_id":"` + long(256) + `"}`, "too_big", "stripe_customer_id", "$any"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := fmt.Sprintf(`{"error":{"type":"invalid_request_error","code":%q,"message":%q,"field":%q}}`, c.code, c.message, c.field)
			e.do("POST", "/api/v1/customers", key, c.body).expect(t, 400, want)
		})
	}
	// Nothing was written by any of them.
	e.do("GET", "/api/v1/customers", key, "").expect(t, 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
}

func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	invalidJSON := func(msg string) string {
		return `{"error":{"type":"invalid_request_error","code":"invalid_json","message":"` + msg + `"}}`
	}
	e.do("POST", "/api/v1/customers", key, `{"name":`).expect(t, 400, invalidJSON("The request body must be a JSON object."))
	e.do("POST", "/api/v1/customers", key, `[1]`).expect(t, 400, invalidJSON("The request body must be a JSON object."))
	e.do("POST", "/api/v1/customers", key, `null`).expect(t, 400, invalidJSON("The request body must be a JSON object."))
	e.do("POST", "/api/v1/customers", key, `{"name":"a"} x`).expect(t, 400, invalidJSON("The request body must be a single JSON object."))
	e.do("POST", "/api/v1/customers", key, `{"name":"a"}`, "Content-Type: text/plain").expect(t, 415,
		`{"error":{"type":"invalid_request_error","code":"unsupported_media_type","message":"$any"}}`)
	e.do("POST", "/api/v1/customers", key, `{"name":"a"}`, "Content-Type: application/json; charset=utf-8").expect(t, 201, "")
	big := `{"name":"a","metadata":{"k":"` + strings.Repeat("x", 1<<20) + `"}}`
	e.do("POST", "/api/v1/customers", key, big).expect(t, 413,
		`{"error":{"type":"invalid_request_error","code":"body_too_large","message":"The request body must be at most 1 MiB."}}`)
	e.do("PUT", "/api/v1/customers/1", key, `{}`).expect(t, 405,
		`{"error":{"type":"invalid_request_error","code":"method_not_allowed","message":"Method PUT is not allowed on this route."}}`)
	e.do("GET", "/api/v1/nope", key, "").expect(t, 404, `{"error":{"type":"not_found","code":"route_not_found","message":"No such route."}}`)
	e.do("GET", "/nope", "", "").expect(t, 404, `{"error":{"type":"not_found","code":"route_not_found","message":"No such route."}}`)
	// NUL bytes and invalid UTF-8 are a 400 or stored safely, never a 500.
	for _, body := range []string{`{"name":"a\u0000b"}`, "{\"name\":\"a\xffb\"}", `{"name":"'; DROP TABLE customers; --"}`} {
		r := e.do("POST", "/api/v1/customers", key, body)
		if r.Status != 201 && r.Status != 400 {
			t.Errorf("%q: status %d: %s", body, r.Status, r.Body)
		}
	}
	e.do("GET", "/api/v1/customers?limit=1", key, "").expect(t, 200, "")
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	missing := `{"error":{"type":"authentication_error","code":"missing_api_key","message":"$any"}}`
	invalid := `{"error":{"type":"authentication_error","code":"invalid_api_key","message":"Invalid API key provided."}}`
	cases := []struct{ name, header, want string }{
		{"no header", "", missing},
		{"empty bearer", "Bearer ", missing},
		{"no scheme", key, missing},
		{"colon scheme", "Bearer: " + key, missing},
		{"basic", "Basic " + key, missing},
		{"unknown key", "Bearer pivotal_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", invalid},
		{"garbage", "Bearer hello", invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := "Authorization: " + c.header
			e.do("GET", "/api/v1/customers", "", "", h).expect(t, 401, c.want)
		})
	}
	e.do("GET", "/api/v1/customers", "", "", "Authorization: bearer "+key).expect(t, 200, "")
	e.do("GET", "/api/v1/customers?api_key="+key, "", "").expect(t, 401, missing)

	// Health needs no key and does not touch the database.
	e.do("GET", "/api/v1/health", "", "").expect(t, 200, `{"status":"ok","timestamp":"$time"}`)
	e.do("GET", "/api/health/deep", "", "").expect(t, 200, `{"status":"ok","database":"ok"}`)

	// Revocation is effective on the next request, REST and GraphQL.
	e.do("GET", "/api/v1/me", key, "").expect(t, 200, "")
	if _, _, err := e.res.OperatorRevokeKey(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	revoked := `{"error":{"type":"authentication_error","code":"api_key_revoked","message":"This API key has been revoked."}}`
	e.do("GET", "/api/v1/me", key, "").expect(t, 401, revoked)
	e.gql(key, `{ me { livemode } }`, nil).expect(t, 401,
		`{"errors":[{"message":"This API key has been revoked.","extensions":{"code":"UNAUTHENTICATED","errorCode":"api_key_revoked"}}]}`)
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	live := e.key("acme", "Sync job", "paid")
	test := e.key("acme", "test", "Sandbox")
	e.do("GET", "/api/v1/me", live, "").expect(t, 200, `{"object":"me","api_key":{"id":"$cuid","name":"Sync job",
		"prefix":"`+live[:16]+`","scopes":["read:customers","write:customers","read:contacts","write:contacts","read:onboardings","write:onboardings"],
		"rate_limit_tier":"paid"},"organization":{"id":"$cuid","slug":"acme","name":"acme"},"livemode":true}`)
	e.do("GET", "/api/v1/me", test, "").expect(t, 200, `{"object":"me","api_key":{"id":"$cuid","name":"Sandbox",
		"prefix":"`+test[:21]+`","scopes":"$any","rate_limit_tier":"standard"},"organization":"$any","livemode":false}`)
}

func TestCustomerUpdate(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	r := e.do("POST", "/api/v1/customers", key, `{"name":"Ember","plan":"growth","mrr":10,"metadata":{"a":1}}`)
	id := r.str(t, "id")
	created := r.json(t)

	// {} changes nothing, not even updated_at.
	same := e.do("PATCH", "/api/v1/customers/"+id, key, `{}`)
	same.expect(t, 200, "")
	if string(same.Body) != string(r.Body) {
		t.Errorf("empty PATCH changed the customer:\n%s\n%s", r.Body, same.Body)
	}
	u := e.do("PATCH", "/api/v1/customers/1", key, `{"name":"Ember Kitchenware","plan":null,"metadata":null,"status":"at_risk","display_id":7}`)
	u.expect(t, 200, `{"object":"customer","id":"`+id+`","display_id":1,"name":"Ember Kitchenware","slug":"ember",
		"domain":null,"status":"at_risk","plan":null,"mrr":10,"monthly_orders":null,"hubspot_company_id":null,
		"hubspot_deal_id":null,"stripe_customer_id":null,"intercom_company_id":null,"slack_channel_id":null,
		"metadata":{},"created_at":"`+created["created_at"].(string)+`","updated_at":"$time"}`)
	if u.str(t, "updated_at") <= created["updated_at"].(string) {
		t.Errorf("updated_at did not move: %s", u.Body)
	}
	e.do("PATCH", "/api/v1/customers/"+id, key, `{"name":null}`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_type","message":"name must be a string","field":"name"}}`)
	e.do("PATCH", "/api/v1/customers/"+id, key, `{"slug":"UPPER"}`).expect(t, 400, "")
	e.do("POST", "/api/v1/customers", key, `{"name":"Other","slug":"taken"}`).expect(t, 201, "")
	e.do("PATCH", "/api/v1/customers/"+id, key, `{"slug":"taken"}`).expect(t, 409,
		`{"error":{"type":"conflict","code":"slug_taken","message":"$any","field":"slug"}}`)
	e.do("PATCH", "/api/v1/customers/nope", key, `{"name":"x"}`).expect(t, 404, `{"error":{"type":"not_found","code":"customer_not_found","message":"$any"}}`)
	e.do("PATCH", "/api/v1/customers/"+id, key, `{"name":"x"}`, "Content-Type: text/plain").expect(t, 415, "")
}

func TestCustomerDelete(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	id := e.do("POST", "/api/v1/customers", key, `{"name":"Fjord"}`).str(t, "id")
	want := `{"object":"deleted","id":"` + id + `","display_id":1,"deleted":true}`
	e.do("DELETE", "/api/v1/customers/"+id, key, "").expect(t, 200, want)
	e.do("DELETE", "/api/v1/customers/1", key, "").expect(t, 200, want)
	e.do("GET", "/api/v1/customers/"+id, key, "").expect(t, 404, "")
	e.do("PATCH", "/api/v1/customers/"+id, key, `{"name":"x"}`).expect(t, 404, "")
	e.do("GET", "/api/v1/customers", key, "").expect(t, 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
	e.do("DELETE", "/api/v1/customers/cnotthere0000000000000000", key, "").expect(t, 404, "")
	var rows int
	if err := e.store.Get(&rows, `SELECT count(*) FROM customers WHERE id = $1 AND deleted_at IS NOT NULL`, id); err != nil || rows != 1 {
		t.Errorf("the deleted row must stay for audit: %d %v", rows, err)
	}
	var audits int
	e.store.Get(&audits, `SELECT count(*) FROM audit_events WHERE object_id = $1 AND actor = 'API: test key'`, id)
	if audits != 2 {
		t.Errorf("audit events: %d, want 2 (created, deleted)", audits)
	}
}

func TestCustomerPagination(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	// 45 customers created in one transaction: created_at must still be unique.
	createInOneTransaction(t, e, key, 45)

	seen, pages := e.listNames(t, key, "/api/v1/customers?limit=10")
	if len(seen) != 45 || pages != 5 {
		t.Fatalf("walk saw %d rows in %d pages, want 45 in 5", len(seen), pages)
	}
	for i, n := range seen {
		if want := fmt.Sprintf("bulk %02d", 44-i); n != want {
			t.Fatalf("row %d = %s, want %s (newest first, no skips or repeats)", i, n, want)
		}
	}
	// A last page of exactly limit rows says has_more false.
	r := e.do("GET", "/api/v1/customers?limit=45", key, "").json(t)
	if r["has_more"] != false || len(r["data"].([]any)) != 45 {
		t.Errorf("exact last page: has_more %v", r["has_more"])
	}
	// Defaults and bounds.
	if n := len(e.do("GET", "/api/v1/customers", key, "").json(t)["data"].([]any)); n != 20 {
		t.Errorf("default limit: %d rows", n)
	}
	bad := func(q, code, msg string) {
		t.Helper()
		e.do("GET", "/api/v1/customers?"+q, key, "").expect(t, 400, fmt.Sprintf(
			`{"error":{"type":"invalid_request_error","code":%q,"message":%q,"field":%q}}`, code, msg, strings.SplitN(q, "=", 2)[0]))
	}
	bad("limit=0", "too_small", "limit must be at least 1")
	bad("limit=101", "too_big", "limit must be at most 100")
	bad("limit=abc", "invalid_type", "limit must be an integer")
	bad("limit=1.5", "invalid_type", "limit must be an integer")
	bad("limit=99999999999999999999", "too_big", "limit must be at most 100")
	bad("cursor=yesterday", "invalid_string", "Invalid datetime")
	bad("status=happy", "invalid_enum_value", "status must be one of: onboarding, active, at_risk, churned, archived")
	// Filters apply before the page is cut.
	e.do("POST", "/api/v1/customers", key, `{"name":"Churned one","status":"churned"}`).expect(t, 201, "")
	r = e.do("GET", "/api/v1/customers?status=churned&limit=1", key, "").json(t)
	if d := r["data"].([]any); len(d) != 1 || r["has_more"] != false {
		t.Errorf("status filter: %v", r)
	}
	e.do("GET", "/api/v1/customers?slug=bulk-07", key, "").expect(t, 200, `{"object":"list","data":[{"object":"customer","id":"$cuid","display_id":8,"name":"bulk 07","slug":"bulk-07",`+customerDefaults+`}],"has_more":false,"next_cursor":null}`)
	e.do("GET", "/api/v1/customers?cursor=2000-01-01T00:00:00Z", key, "").expect(t, 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
}

// createInOneTransaction inserts n customers through the store inside one SQL
// transaction, the way a bulk import would: they share one transaction's clock.
func createInOneTransaction(t *testing.T, e *env, key string, n int) {
	t.Helper()
	id, err := e.res.Authenticate(context.Background(), "Bearer "+key)
	if err != nil {
		t.Fatal(err)
	}
	err = e.store.Transact(context.Background(), func(tx *sqlx.Tx) error {
		for i := 0; i < n; i++ {
			c := db.Customer{WorkspaceID: id.WorkspaceID, Name: fmt.Sprintf("bulk %02d", i),
				Slug: fmt.Sprintf("bulk-%02d", i), Status: "active"}
			if err := db.InsertCustomer(context.Background(), tx, &c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentSlug(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	const n = 10
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.do("POST", "/api/v1/customers", key, `{"name":"Race","slug":"race"}`).Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses %v, want one 201 and %d 409s", count, n-1)
	}
	// Derived slugs under concurrency all succeed with distinct suffixes.
	var wg2 sync.WaitGroup
	slugs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			r := e.do("POST", "/api/v1/customers", key, `{"name":"Derived"}`)
			if r.Status != http.StatusCreated {
				t.Errorf("derived create: %d %s", r.Status, r.Body)
			}
			slugs <- r.str(t, "slug")
		}()
	}
	wg2.Wait()
	close(slugs)
	seen := map[string]bool{}
	for s := range slugs {
		if seen[s] {
			t.Errorf("slug %s handed out twice", s)
		}
		seen[s] = true
	}
}

func TestCustomerTenancyREST(t *testing.T) {
	e := newEnv(t)
	a, b := e.key("alpha"), e.key("beta")
	id := e.do("POST", "/api/v1/customers", a, `{"name":"Secret","slug":"secret"}`).str(t, "id")
	nf := `{"error":{"type":"not_found","code":"customer_not_found","message":"No such customer."}}`
	for _, ref := range []string{id, "1"} {
		e.do("GET", "/api/v1/customers/"+ref, b, "").expect(t, 404, nf)
		e.do("PATCH", "/api/v1/customers/"+ref, b, `{"name":"pwned"}`).expect(t, 404, nf)
		e.do("DELETE", "/api/v1/customers/"+ref, b, "").expect(t, 404, nf)
	}
	e.do("GET", "/api/v1/customers", b, "").expect(t, 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
	e.do("GET", "/api/v1/customers?slug=secret", b, "").expect(t, 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
	// Workspace B may use the same slug.
	e.do("POST", "/api/v1/customers", b, `{"name":"Secret","slug":"secret"}`).expect(t, 201, "")
	// A is untouched.
	e.do("GET", "/api/v1/customers/"+id, a, "").expect(t, 200, `{"object":"customer","id":"`+id+`","display_id":1,"name":"Secret","slug":"secret",`+customerDefaults+`}`)
}

func TestKeyLastUsed(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	ctx := t.Context()
	lastUsed := func() *time.Time {
		t.Helper()
		var at *time.Time
		if err := e.store.Get(&at, `SELECT last_used_at FROM api_keys`); err != nil {
			t.Fatal(err)
		}
		return at
	}
	// waitRecorded waits for a use to be recorded after since (it is written
	// off the request path); the deadline only ends a test that would hang.
	waitRecorded := func(since *time.Time) time.Time {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if at := lastUsed(); at != nil && (since == nil || at.After(*since)) {
				return *at
			}
		}
		t.Fatalf("last_used_at was not recorded (it was %v)", since)
		return time.Time{}
	}
	if at := lastUsed(); at != nil {
		t.Fatalf("a new key was used at %v", at)
	}
	e.do("GET", "/api/v1/me", key, "").expect(t, 200, "")
	first := waitRecorded(nil)

	// Within the minute, the query that authenticates the request finds the key
	// fresh, so the request writes nothing; a write would change nothing either.
	e.do("GET", "/api/v1/me", key, "").expect(t, 200, "")
	k, err := db.FindKeyByHash(ctx, e.store, auth.Hash(key))
	if err != nil {
		t.Fatal(err)
	}
	if k.Stale {
		t.Fatal("a key used a moment ago is stale: every request would write last_used_at")
	}
	if err := db.TouchKey(ctx, e.store, k.WorkspaceID, k.ID); err != nil {
		t.Fatal(err)
	}
	if at := lastUsed(); at == nil || !at.Equal(first) {
		t.Fatalf("last_used_at changed from %v to %v within a minute", first, at)
	}

	// A minute later the next request records the use again.
	if _, err := e.store.Exec(`UPDATE api_keys SET last_used_at = last_used_at - interval '61 seconds'`); err != nil {
		t.Fatal(err)
	}
	old := *lastUsed()
	if k, err := db.FindKeyByHash(ctx, e.store, auth.Hash(key)); err != nil || !k.Stale {
		t.Fatalf("a key last used over a minute ago: stale %v, %v", k.Stale, err)
	}
	e.do("GET", "/api/v1/me", key, "").expect(t, 200, "")
	waitRecorded(&old)
}
