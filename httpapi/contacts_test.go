package httpapi

import (
	"fmt"
	"strings"
	"testing"
)

const emptyList = `{"object":"list","data":[],"has_more":false,"next_cursor":null}`

// newContact adds a contact through REST and returns its cuid.
func (e *env) newContact(key, customer, body string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/customers/"+customer+"/contacts", key, body)
	r.expect(e.t, 201, "")
	return r.str(e.t, "id")
}

func notFoundJSON(object string) string {
	return `{"error":{"type":"not_found","code":"` + object + `_not_found","message":"No such ` + object + `."}}`
}

func TestContactCreateAndRead(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")

	r := e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, `{"name":"Maya Chen",
		"email":"  Maya.Chen@Aurora.EXAMPLE  ","title":"Head of Ops","is_primary":true,"labels":["billing","Décideuse"],
		"id":"ignored","display_id":42,"customer_id":"ignored","created_at":"2000-01-01T00:00:00Z","unknown":1}`)
	r.expect(t, 201, `{"object":"contact","id":"$cuid","display_id":1,"customer_id":"`+cust+`","name":"Maya Chen",
		"email":"maya.chen@aurora.example","title":"Head of Ops","is_primary":true,"labels":["billing","Décideuse"],
		"created_at":"$time","updated_at":"$time"}`)
	id := r.str(t, "id")
	if c := r.json(t); c["created_at"] != c["updated_at"] {
		t.Errorf("a new contact's updated_at must equal created_at: %s", r.Body)
	}
	created := string(r.Body)

	// Defaults, and the parent named by display id.
	e.do("POST", "/api/v1/customers/1/contacts", key, `{"name":"Luis","email":"luis@aurora.example"}`).expect(t, 201,
		`{"object":"contact","id":"$cuid","display_id":2,"customer_id":"`+cust+`","name":"Luis",
		"email":"luis@aurora.example","title":null,"is_primary":false,"labels":[],"created_at":"$time","updated_at":"$time"}`)

	// By cuid and by display id, the same body.
	for _, ref := range []string{id, "1"} {
		g := e.do("GET", "/api/v1/contacts/"+ref, key, "")
		g.expect(t, 200, "")
		if string(g.Body) != created {
			t.Errorf("GET %s = %s, want %s", ref, g.Body, created)
		}
	}
	// Newest first, by either form of the customer id.
	for _, ref := range []string{cust, "1"} {
		e.do("GET", "/api/v1/customers/"+ref+"/contacts", key, "").expect(t, 200, `{"object":"list","data":[
			{"object":"contact","id":"$cuid","display_id":2,"customer_id":"`+cust+`","name":"Luis","email":"luis@aurora.example",
			 "title":null,"is_primary":false,"labels":[],"created_at":"$time","updated_at":"$time"},
			`+created+`],"has_more":false,"next_cursor":null}`)
	}
	// Another customer's list holds none of them; display ids count per workspace.
	other := e.newCustomer(key, "Birch")
	e.do("GET", "/api/v1/customers/"+other+"/contacts", key, "").expect(t, 200, emptyList)
	e.do("GET", "/api/v1/contacts/3", key, "").expect(t, 404, notFoundJSON("contact"))
	e.do("GET", "/api/v1/contacts/maya", key, "").expect(t, 404, notFoundJSON("contact"))

	var actor string
	if err := e.store.Get(&actor, `SELECT actor FROM audit_events WHERE object_id = $1 AND action = 'contact.created'`, id); err != nil || actor != "API: test key" {
		t.Errorf("audit: %q %v", actor, err)
	}
}

func TestContactValidation(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	long := func(n int) string { return strings.Repeat("a", n) }
	labels := func(n int) string { return `["` + strings.Repeat(`x","`, n-1) + `x"]` }
	longEmail := long(243) + "@example.com" // 255 characters
	cases := []struct {
		name, body, code, field, message string
	}{
		{"missing name", `{}`, "missing_field", "name", "name is required"},
		{"missing email", `{"name":"a"}`, "missing_field", "email", "email is required"},
		{"missing name only", `{"email":"a@b.co"}`, "missing_field", "name", "name is required"},
		{"missing before types", `{"name":5}`, "missing_field", "email", "email is required"},
		{"null name", `{"name":null,"email":"a@b.co"}`, "invalid_type", "name", "name must be a string"},
		{"null email", `{"name":"a","email":null}`, "invalid_type", "email", "email must be a string"},
		{"number email", `{"name":"a","email":5}`, "invalid_type", "email", "email must be a string"},
		{"number title", `{"name":"a","email":"a@b.co","title":5}`, "invalid_type", "title", "title must be a string"},
		{"string is_primary", `{"name":"a","email":"a@b.co","is_primary":"true"}`, "invalid_type", "is_primary", "is_primary must be a boolean"},
		{"null is_primary", `{"name":"a","email":"a@b.co","is_primary":null}`, "invalid_type", "is_primary", "is_primary must be a boolean"},
		{"string labels", `{"name":"a","email":"a@b.co","labels":"x"}`, "invalid_type", "labels", "labels must be an array of strings"},
		{"null labels", `{"name":"a","email":"a@b.co","labels":null}`, "invalid_type", "labels", "labels must be an array of strings"},
		{"number label", `{"name":"a","email":"a@b.co","labels":["x",1]}`, "invalid_type", "labels.1", "labels.1 must be a string"},
		{"types in field order", `{"name":1,"email":2,"labels":[3]}`, "invalid_type", "name", "name must be a string"},
		{"empty name", `{"name":"","email":"a@b.co"}`, "too_small", "name", "name must not be empty"},
		{"long name", `{"name":"` + long(256) + `","email":"a@b.co"}`, "too_big", "name", "name must be at most 255 characters"},
		{"types before bounds", `{"name":"","email":"a@b.co","labels":[""," ",7]}`, "invalid_type", "labels.2", "labels.2 must be a string"},
		{"long email", `{"name":"a","email":"b` + longEmail + `"}`, "too_big", "email", "email must be at most 255 characters"},
		{"long title", `{"name":"a","email":"a@b.co","title":"` + long(256) + `"}`, "too_big", "title", "title must be at most 255 characters"},
		{"too many labels", `{"name":"a","email":"a@b.co","labels":` + labels(21) + `}`, "too_big", "labels", "labels must have at most 20 items"},
		{"empty label", `{"name":"a","email":"a@b.co","labels":["ok",""]}`, "too_small", "labels.1", "labels.1 must not be empty"},
		{"long label", `{"name":"a","email":"a@b.co","labels":["` + long(65) + `"]}`, "too_big", "labels.0", "labels.0 must be at most 64 characters"},
		{"bounds in field order", `{"name":"","email":"a@b.co","title":"` + long(256) + `"}`, "too_small", "name", "name must not be empty"},
		{"bounds before formats", `{"name":"a","email":"nope","labels":[""]}`, "too_small", "labels.0", "labels.0 must not be empty"},
		{"no at", `{"name":"a","email":"maya.example.com"}`, "invalid_string", "email", "email must be a valid email address"},
		{"empty email", `{"name":"a","email":""}`, "invalid_string", "email", "email must be a valid email address"},
		{"blank email", `{"name":"a","email":"   "}`, "invalid_string", "email", "email must be a valid email address"},
		{"display name", `{"name":"a","email":"Maya <maya@aurora.example>"}`, "invalid_string", "email", "email must be a valid email address"},
		{"inner space", `{"name":"a","email":"maya chen@aurora.example"}`, "invalid_string", "email", "email must be a valid email address"},
		{"two ats", `{"name":"a","email":"maya@chen@aurora.example"}`, "invalid_string", "email", "email must be a valid email address"},
		{"no dot in domain", `{"name":"a","email":"maya@localhost"}`, "invalid_string", "email", "email must be a valid email address"},
		{"address literal", `{"name":"a","email":"maya@[10.0.0.1]"}`, "invalid_string", "email", "email must be a valid email address"},
		{"underscore domain", `{"name":"a","email":"maya@aurora_x.example"}`, "invalid_string", "email", "email must be a valid email address"},
		{"hyphen label", `{"name":"a","email":"maya@-aurora.example"}`, "invalid_string", "email", "email must be a valid email address"},
		{"trailing dot", `{"name":"a","email":"maya@aurora.example."}`, "invalid_string", "email", "email must be a valid email address"},
		{"empty local", `{"name":"a","email":"@aurora.example"}`, "invalid_string", "email", "email must be a valid email address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := fmt.Sprintf(`{"error":{"type":"invalid_request_error","code":%q,"message":%q,"field":%q}}`, c.code, c.message, c.field)
			e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, c.body).expect(t, 400, want)
		})
	}
	// Nothing was written by any of them.
	e.do("GET", "/api/v1/customers/"+cust+"/contacts", key, "").expect(t, 200, emptyList)

	// Trimming comes before the length check; exactly 20 labels of 64 characters pass.
	e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, `{"name":"`+long(255)+`","email":"   `+strings.ToUpper(longEmail)+`  ",
		"title":"`+long(255)+`","labels":`+strings.ReplaceAll(labels(20), "x", long(64))+`}`).expect(t, 201, `{"object":"contact",
		"id":"$cuid","display_id":1,"customer_id":"`+cust+`","name":"$any","email":"`+longEmail+`","title":"$any",
		"is_primary":false,"labels":"$any","created_at":"$time","updated_at":"$time"}`)
	// Plus addressing, subdomains and digits are ordinary addresses.
	e.newContact(key, cust, `{"name":"a","email":"maya+crm@mail.aurora-2.example"}`)
	// Malformed bodies get the generic answers.
	e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, `{"name":`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_json","message":"The request body must be a JSON object."}}`)
	e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, `{"name":"a","email":"a@b.co"}`, "Content-Type: text/plain").expect(t, 415,
		`{"error":{"type":"invalid_request_error","code":"unsupported_media_type","message":"$any"}}`)
}

func TestContactUpdate(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	r := e.do("POST", "/api/v1/customers/"+cust+"/contacts", key, `{"name":"Maya","email":"maya@aurora.example","title":"CEO","labels":["a"]}`)
	id := r.str(t, "id")
	created := r.json(t)

	// {} and a PATCH that sends the current values change nothing, not even updated_at.
	for _, body := range []string{`{}`, `{"name":"Maya","email":" MAYA@aurora.example","title":"CEO","is_primary":false,"labels":["a"],"display_id":9}`} {
		same := e.do("PATCH", "/api/v1/contacts/"+id, key, body)
		same.expect(t, 200, "")
		if string(same.Body) != string(r.Body) {
			t.Errorf("PATCH %s changed the contact:\n%s\n%s", body, r.Body, same.Body)
		}
	}
	u := e.do("PATCH", "/api/v1/contacts/1", key, `{"name":"Maya Chen","email":"Maya.Chen@Aurora.Example ","title":null,"labels":[]}`)
	u.expect(t, 200, `{"object":"contact","id":"`+id+`","display_id":1,"customer_id":"`+cust+`","name":"Maya Chen",
		"email":"maya.chen@aurora.example","title":null,"is_primary":false,"labels":[],
		"created_at":"`+created["created_at"].(string)+`","updated_at":"$time"}`)
	if u.str(t, "updated_at") <= created["updated_at"].(string) {
		t.Errorf("updated_at did not move: %s", u.Body)
	}
	// Only sent fields change.
	e.do("PATCH", "/api/v1/contacts/"+id, key, `{"labels":["vip"]}`).expect(t, 200, `{"object":"contact","id":"`+id+`",
		"display_id":1,"customer_id":"`+cust+`","name":"Maya Chen","email":"maya.chen@aurora.example","title":null,
		"is_primary":false,"labels":["vip"],"created_at":"$time","updated_at":"$time"}`)

	bad := func(body, code, field, msg string) {
		t.Helper()
		e.do("PATCH", "/api/v1/contacts/"+id, key, body).expect(t, 400, fmt.Sprintf(
			`{"error":{"type":"invalid_request_error","code":%q,"message":%q,"field":%q}}`, code, msg, field))
	}
	bad(`{"name":null}`, "invalid_type", "name", "name must be a string")
	bad(`{"email":null}`, "invalid_type", "email", "email must be a string")
	bad(`{"is_primary":null}`, "invalid_type", "is_primary", "is_primary must be a boolean")
	bad(`{"labels":null}`, "invalid_type", "labels", "labels must be an array of strings")
	bad(`{"labels":[true]}`, "invalid_type", "labels.0", "labels.0 must be a string")
	bad(`{"name":""}`, "too_small", "name", "name must not be empty")
	bad(`{"email":"maya"}`, "invalid_string", "email", "email must be a valid email address")
	bad(`{"email":"maya","labels":["`+strings.Repeat("x", 65)+`"]}`, "too_big", "labels.0", "labels.0 must be at most 64 characters")
	bad(`{"title":"`+strings.Repeat("x", 256)+`"}`, "too_big", "title", "title must be at most 255 characters")

	// Another contact's address is taken; the contact's own is not.
	e.newContact(key, cust, `{"name":"Luis","email":"luis@aurora.example"}`)
	e.do("PATCH", "/api/v1/contacts/"+id, key, `{"email":"  LUIS@aurora.example"}`).expect(t, 409,
		`{"error":{"type":"conflict","code":"email_taken","message":"A contact with email \"luis@aurora.example\" already exists for this customer.","field":"email"}}`)
	e.do("GET", "/api/v1/contacts/"+id, key, "").expect(t, 200, `{"object":"contact","id":"`+id+`","display_id":1,
		"customer_id":"`+cust+`","name":"Maya Chen","email":"maya.chen@aurora.example","title":null,"is_primary":false,
		"labels":["vip"],"created_at":"$time","updated_at":"$time"}`)
	e.do("PATCH", "/api/v1/contacts/"+id, key, `{"name":"x"}`, "Content-Type: text/plain").expect(t, 415, "")
	e.do("PATCH", "/api/v1/contacts/"+id, key, `[]`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_json","message":"The request body must be a JSON object."}}`)
}

func TestContactEmailTaken(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	a, b := e.newCustomer(key, "Aurora"), e.newCustomer(key, "Birch")
	first := e.newContact(key, a, `{"name":"Maya","email":"maya@shared.example"}`)
	taken := `{"error":{"type":"conflict","code":"email_taken","message":"A contact with email \"maya@shared.example\" already exists for this customer.","field":"email"}}`
	e.do("POST", "/api/v1/customers/"+a+"/contacts", key, `{"name":"Other Maya","email":" MAYA@Shared.Example "}`).expect(t, 409, taken)
	// Unique per customer, not per workspace.
	e.newContact(key, b, `{"name":"Maya","email":"maya@shared.example"}`)
	// A failed create wrote nothing: no display id was used up visibly, no row.
	if n := len(e.do("GET", "/api/v1/customers/"+a+"/contacts", key, "").json(t)["data"].([]any)); n != 1 {
		t.Errorf("customer a has %d contacts, want 1", n)
	}
	// A deleted contact's address is free again.
	e.do("DELETE", "/api/v1/contacts/"+first, key, "").expect(t, 200, "")
	e.newContact(key, a, `{"name":"New Maya","email":"maya@shared.example"}`)
	e.do("PATCH", "/api/v1/contacts/"+first, key, `{"email":"other@shared.example"}`).expect(t, 404, notFoundJSON("contact"))
}

func TestContactPrimary(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	other := e.newCustomer(key, "Birch")
	otherPrimary := e.newContact(key, other, `{"name":"Zed","email":"zed@birch.example","is_primary":true}`)
	a := e.newContact(key, cust, `{"name":"A","email":"a@aurora.example","is_primary":true}`)
	before := e.do("GET", "/api/v1/contacts/"+a, key, "").str(t, "updated_at")
	b := e.newContact(key, cust, `{"name":"B","email":"b@aurora.example","is_primary":true}`)
	primaryOf := func(id string) bool {
		t.Helper()
		return e.do("GET", "/api/v1/contacts/"+id, key, "").json(t)["is_primary"] == true
	}
	if primaryOf(a) || !primaryOf(b) || !primaryOf(otherPrimary) {
		t.Fatalf("creating b as primary must demote a only")
	}
	if after := e.do("GET", "/api/v1/contacts/"+a, key, "").str(t, "updated_at"); after <= before {
		t.Errorf("demotion must move updated_at: %s -> %s", before, after)
	}
	e.do("PATCH", "/api/v1/contacts/"+a, key, `{"is_primary":true}`).expect(t, 200, `{"object":"contact","id":"`+a+`",
		"display_id":2,"customer_id":"`+cust+`","name":"A","email":"a@aurora.example","title":null,"is_primary":true,
		"labels":[],"created_at":"$time","updated_at":"$time"}`)
	if !primaryOf(a) || primaryOf(b) {
		t.Fatalf("promoting a must demote b")
	}
	// A failed promotion (email taken) demotes nobody.
	e.do("PATCH", "/api/v1/contacts/"+b, key, `{"is_primary":true,"email":"a@aurora.example"}`).expect(t, 409, "")
	if !primaryOf(a) || primaryOf(b) {
		t.Fatalf("a rolled-back promotion must leave a primary")
	}
	e.do("PATCH", "/api/v1/contacts/"+a, key, `{"is_primary":false}`).expect(t, 200, "")
	if primaryOf(a) || primaryOf(b) {
		t.Fatalf("clearing is_primary leaves no primary")
	}
	var audits int
	e.store.Get(&audits, `SELECT count(*) FROM audit_events WHERE object_id = $1 AND action = 'contact.updated'`, b)
	if audits != 1 {
		t.Errorf("b's demotion must be audited once, got %d", audits)
	}
}

func TestContactDelete(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	id := e.newContact(key, cust, `{"name":"Maya","email":"maya@aurora.example","is_primary":true}`)
	want := `{"object":"deleted","id":"` + id + `","display_id":1,"deleted":true}`
	e.do("DELETE", "/api/v1/contacts/"+id, key, "").expect(t, 200, want)
	e.do("DELETE", "/api/v1/contacts/1", key, "").expect(t, 200, want)
	e.do("GET", "/api/v1/contacts/"+id, key, "").expect(t, 404, notFoundJSON("contact"))
	e.do("PATCH", "/api/v1/contacts/"+id, key, `{"name":"x"}`).expect(t, 404, notFoundJSON("contact"))
	e.do("GET", "/api/v1/customers/"+cust+"/contacts", key, "").expect(t, 200, emptyList)
	e.do("DELETE", "/api/v1/contacts/cnotthere0000000000000000", key, "").expect(t, 404, notFoundJSON("contact"))
	var rows, audits int
	if err := e.store.Get(&rows, `SELECT count(*) FROM contacts WHERE id = $1 AND deleted_at IS NOT NULL`, id); err != nil || rows != 1 {
		t.Errorf("the deleted row must stay for audit: %d %v", rows, err)
	}
	e.store.Get(&audits, `SELECT count(*) FROM audit_events WHERE object_id = $1 AND actor = 'API: test key'`, id)
	if audits != 2 {
		t.Errorf("audit events: %d, want 2 (created, deleted)", audits)
	}
	// The deleted primary no longer blocks a new one.
	e.newContact(key, cust, `{"name":"Luis","email":"luis@aurora.example","is_primary":true}`)
}
