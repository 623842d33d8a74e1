package httpapi

import (
	"fmt"
	"strings"
	"testing"
)

func TestOnboardingValidation(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")
	id := e.newOnboarding(key, cid, "")
	long := func(n int) string { return strings.Repeat("a", n) }
	phases := "phase must be one of: before_getting_started, program_design, review, program_buildout, internal_qa, launch, completed"
	states := "state must be one of: active, paused, at_risk, waiting"
	c := `"customer_id":"` + cid + `",`
	cases := []struct {
		name, create, update, code, field, message string
	}{
		{"missing customer_id", `{"name":"x"}`, "", "missing_field", "customer_id", "customer_id is required"},
		{"missing before types", `{"name":5}`, "", "missing_field", "customer_id", "customer_id is required"},
		{"null customer_id", `{"customer_id":null}`, "", "invalid_type", "customer_id", "customer_id must be a string"},
		{"bool customer_id", `{"customer_id":true}`, "", "invalid_type", "customer_id", "customer_id must be a string"},
		{"negative customer_id", `{"customer_id":-1}`, "", "invalid_type", "customer_id", "customer_id must be a string"},
		{"null name", `{` + c + `"name":null}`, `{"name":null}`, "invalid_type", "name", "name must be a string"},
		{"number name", `{` + c + `"name":1}`, `{"name":1}`, "invalid_type", "name", "name must be a string"},
		{"empty name", `{` + c + `"name":""}`, `{"name":""}`, "too_small", "name", "name must not be empty"},
		{"long name", `{` + c + `"name":"` + long(256) + `"}`, `{"name":"` + long(256) + `"}`, "too_big", "name", "name must be at most 255 characters"},
		{"long template", `{` + c + `"template_id":"` + long(256) + `"}`, `{"template_id":"` + long(256) + `"}`, "too_big", "template_id", "template_id must be at most 255 characters"},
		{"null phase", `{` + c + `"phase":null}`, `{"phase":null}`, "invalid_type", "phase", "phase must be a string"},
		{"bad phase", `{` + c + `"phase":"done"}`, `{"phase":"done"}`, "invalid_enum_value", "phase", phases},
		{"upper phase", `{` + c + `"phase":"REVIEW"}`, `{"phase":"REVIEW"}`, "invalid_enum_value", "phase", phases},
		{"null state", `{` + c + `"state":null}`, `{"state":null}`, "invalid_type", "state", "state must be a string"},
		{"bad state", `{` + c + `"state":"stuck"}`, `{"state":"stuck"}`, "invalid_enum_value", "state", states},
		{"null waiting", `{` + c + `"waiting_on_customer":null}`, `{"waiting_on_customer":null}`, "invalid_type", "waiting_on_customer", "waiting_on_customer must be a boolean"},
		{"string waiting", `{` + c + `"waiting_on_customer":"true"}`, `{"waiting_on_customer":"true"}`, "invalid_type", "waiting_on_customer", "waiting_on_customer must be a boolean"},
		{"long csm", `{` + c + `"csm_id":"` + long(256) + `"}`, `{"csm_id":"` + long(256) + `"}`, "too_big", "csm_id", "csm_id must be at most 255 characters"},
		{"long se", `{` + c + `"se_id":"` + long(256) + `"}`, `{"se_id":"` + long(256) + `"}`, "too_big", "se_id", "se_id must be at most 255 characters"},
		{"long designer", `{` + c + `"designer_id":"` + long(256) + `"}`, `{"designer_id":"` + long(256) + `"}`, "too_big", "designer_id", "designer_id must be at most 255 characters"},
		{"long product ops", `{` + c + `"product_ops_id":"` + long(256) + `"}`, `{"product_ops_id":"` + long(256) + `"}`, "too_big", "product_ops_id", "product_ops_id must be at most 255 characters"},
		{"number se", `{` + c + `"se_id":7}`, `{"se_id":7}`, "invalid_type", "se_id", "se_id must be a string"},
		{"long notes", `{` + c + `"notes":"` + long(10001) + `"}`, `{"notes":"` + long(10001) + `"}`, "too_big", "notes", "notes must be at most 10000 characters"},
		{"null reminders", `{` + c + `"reminders_enabled":null}`, `{"reminders_enabled":null}`, "invalid_type", "reminders_enabled", "reminders_enabled must be a boolean"},
		{"number reminders", `{` + c + `"reminders_enabled":1}`, `{"reminders_enabled":1}`, "invalid_type", "reminders_enabled", "reminders_enabled must be a boolean"},
		{"null frequency", `{` + c + `"reminder_frequency_days":null}`, `{"reminder_frequency_days":null}`, "invalid_type", "reminder_frequency_days", "reminder_frequency_days must be an integer"},
		{"float frequency", `{` + c + `"reminder_frequency_days":1.5}`, `{"reminder_frequency_days":1.5}`, "invalid_type", "reminder_frequency_days", "reminder_frequency_days must be an integer"},
		{"zero frequency", `{` + c + `"reminder_frequency_days":0}`, `{"reminder_frequency_days":0}`, "too_small", "reminder_frequency_days", "reminder_frequency_days must be at least 1"},
		{"big frequency", `{` + c + `"reminder_frequency_days":91}`, `{"reminder_frequency_days":91}`, "too_big", "reminder_frequency_days", "reminder_frequency_days must be at most 90"},
		// Stages: types before bounds before enums before formats before the cross-field rule.
		{"types before bounds", `{` + c + `"name":"","notes":5}`, `{"name":"","notes":5}`, "invalid_type", "notes", "notes must be a string"},
		{"bounds before enums", `{` + c + `"phase":"x","reminder_frequency_days":0}`, `{"phase":"x","reminder_frequency_days":0}`, "too_small", "reminder_frequency_days", "$any"},
		{"enums before formats", `{` + c + `"target_launch_date":"x","state":"x"}`, `{"target_launch_date":"x","state":"x"}`, "invalid_enum_value", "state", states},
		{"field order in a stage", `{` + c + `"state":"x","phase":"x"}`, `{"state":"x","phase":"x"}`, "invalid_enum_value", "phase", phases},
		{"formats before conflict", `{` + c + `"state":"paused","waiting_on_customer":true,"target_launch_date":"x"}`, `{"state":"paused","waiting_on_customer":true,"target_launch_date":"x"}`, "invalid_string", "target_launch_date", "$any"},
		{"bounds before conflict", `{` + c + `"state":"paused","waiting_on_customer":true,"name":""}`, `{"state":"paused","waiting_on_customer":true,"name":""}`, "too_small", "name", "$any"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := fmt.Sprintf(`{"error":{"type":"invalid_request_error","code":%q,"message":%q,"field":%q}}`, tc.code, tc.message, tc.field)
			if tc.message == "$any" {
				want = fmt.Sprintf(`{"error":{"type":"invalid_request_error","code":%q,"message":"$any","field":%q}}`, tc.code, tc.field)
			}
			e.do("POST", "/api/v1/onboardings", key, tc.create).expect(t, 400, want)
			if tc.update != "" {
				e.do("PATCH", "/api/v1/onboardings/"+id, key, tc.update).expect(t, 400, want)
			}
		})
	}
	// Bounds are inclusive.
	e.do("POST", "/api/v1/onboardings", key, `{`+c+`"name":"`+long(255)+`","notes":"`+long(10000)+`","csm_id":"","reminder_frequency_days":1}`).expect(t, 201, "")
	// Nothing was written by the refused requests, and the onboarding is unchanged.
	var n int
	e.store.Get(&n, `SELECT count(*) FROM onboardings`)
	if n != 2 {
		t.Errorf("%d onboardings, want 2", n)
	}
	e.do("GET", "/api/v1/onboardings/"+id, key, "").expect(t, 200, onboardingJSON(1, cid, nil))
	// Malformed bodies.
	e.do("POST", "/api/v1/onboardings", key, `{"customer_id":`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_json","message":"The request body must be a JSON object."}}`)
	e.do("PATCH", "/api/v1/onboardings/"+id, key, `[]`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_json","message":"The request body must be a JSON object."}}`)
	e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"1"}`, "Content-Type: text/plain").expect(t, 415,
		`{"error":{"type":"invalid_request_error","code":"unsupported_media_type","message":"$any"}}`)
	e.do("PUT", "/api/v1/onboardings/"+id, key, `{}`).expect(t, 405,
		`{"error":{"type":"invalid_request_error","code":"method_not_allowed","message":"Method PUT is not allowed on this route."}}`)
	// A NUL byte is a 400, never a 500.
	e.do("POST", "/api/v1/onboardings", key, `{`+c+`"notes":"a\u0000b"}`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_string","message":"$any"}}`)
}

func TestOnboardingAuthentication(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")
	id := e.newOnboarding(key, cid, "")
	missing := `{"error":{"type":"authentication_error","code":"missing_api_key","message":"$any"}}`
	invalid := `{"error":{"type":"authentication_error","code":"invalid_api_key","message":"Invalid API key provided."}}`
	routes := []struct{ method, path, body string }{
		{"GET", "/api/v1/onboardings", ""},
		{"POST", "/api/v1/onboardings", `{"customer_id":"` + cid + `"}`},
		{"GET", "/api/v1/customers/" + cid + "/onboardings", ""},
		{"GET", "/api/v1/onboardings/" + id, ""},
		{"PATCH", "/api/v1/onboardings/" + id, `{"name":"x"}`},
		{"DELETE", "/api/v1/onboardings/" + id, ""},
	}
	for _, r := range routes {
		e.do(r.method, r.path, "", r.body).expect(t, 401, missing)
		e.do(r.method, r.path, "pivotal_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", r.body).expect(t, 401, invalid)
	}
	// Nothing changed.
	e.do("GET", "/api/v1/onboardings/"+id, key, "").expect(t, 200, onboardingJSON(1, cid, nil))
}

// Another workspace's onboardings and customers, deleted ones, and unknown ids
// are all 404 on every route, by cuid and by display id.
func TestOnboardingNotFound(t *testing.T) {
	e := newEnv(t)
	a, b := e.key("alpha"), e.key("beta")
	cid := e.newCustomer(a, "Aurora")
	id := e.newOnboarding(a, cid, "")
	gone := e.newOnboarding(a, cid, "")
	e.do("DELETE", "/api/v1/onboardings/"+gone, a, "").expect(t, 200, "")
	nf := `{"error":{"type":"not_found","code":"onboarding_not_found","message":"No such onboarding."}}`
	cnf := `{"error":{"type":"not_found","code":"customer_not_found","message":"No such customer."}}`
	empty := `{"object":"list","data":[],"has_more":false,"next_cursor":null}`

	for _, ref := range []string{id, "1"} {
		e.do("GET", "/api/v1/onboardings/"+ref, b, "").expect(t, 404, nf)
		e.do("PATCH", "/api/v1/onboardings/"+ref, b, `{"name":"pwned"}`).expect(t, 404, nf)
		e.do("DELETE", "/api/v1/onboardings/"+ref, b, "").expect(t, 404, nf)
	}
	for _, ref := range []string{cid, "1"} {
		e.do("POST", "/api/v1/onboardings", b, `{"customer_id":"`+ref+`"}`).expect(t, 404, cnf)
		e.do("GET", "/api/v1/customers/"+ref+"/onboardings", b, "").expect(t, 404, cnf)
		e.do("GET", "/api/v1/onboardings?customer_id="+ref, b, "").expect(t, 404, cnf)
	}
	e.do("GET", "/api/v1/onboardings", b, "").expect(t, 200, empty)
	for _, ref := range []string{"cnotthere0000000000000000", "99", "not-an-id", "0"} {
		e.do("GET", "/api/v1/onboardings/"+ref, a, "").expect(t, 404, nf)
		e.do("PATCH", "/api/v1/onboardings/"+ref, a, `{"name":"x"}`).expect(t, 404, nf)
		e.do("DELETE", "/api/v1/onboardings/"+ref, a, "").expect(t, 404, nf)
		e.do("POST", "/api/v1/onboardings", a, `{"customer_id":"`+ref+`"}`).expect(t, 404, cnf)
		e.do("GET", "/api/v1/customers/"+ref+"/onboardings", a, "").expect(t, 404, cnf)
		e.do("GET", "/api/v1/onboardings?customer_id="+ref, a, "").expect(t, 404, cnf)
	}
	e.do("POST", "/api/v1/onboardings", a, `{"customer_id":""}`).expect(t, 404, cnf)
	// The deleted one: GET and PATCH 404, DELETE repeats.
	e.do("GET", "/api/v1/onboardings/"+gone, a, "").expect(t, 404, nf)
	e.do("PATCH", "/api/v1/onboardings/2", a, `{"name":"x"}`).expect(t, 404, nf)
	e.do("DELETE", "/api/v1/onboardings/2", a, "").expect(t, 200, `{"object":"deleted","id":"`+gone+`","display_id":2,"deleted":true}`)
	// Workspace A is untouched.
	e.do("GET", "/api/v1/onboardings/"+id, a, "").expect(t, 200, onboardingJSON(1, cid, nil))
}

// A deleted customer's onboardings stay in the database but vanish from every
// list and read, and no onboarding can be added to it.
func TestOnboardingsOfDeletedCustomer(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	keep := e.newCustomer(key, "Keep")
	cid := e.newCustomer(key, "Aurora")
	id := e.newOnboarding(key, cid, `"state":"waiting"`)
	kept := e.newOnboarding(key, keep, `"state":"waiting"`)
	e.do("DELETE", "/api/v1/customers/"+cid, key, "").expect(t, 200, "")

	nf := `{"error":{"type":"not_found","code":"onboarding_not_found","message":"No such onboarding."}}`
	cnf := `{"error":{"type":"not_found","code":"customer_not_found","message":"No such customer."}}`
	e.do("GET", "/api/v1/onboardings/"+id, key, "").expect(t, 404, nf)
	e.do("PATCH", "/api/v1/onboardings/"+id, key, `{"name":"x"}`).expect(t, 404, nf)
	e.do("DELETE", "/api/v1/onboardings/"+id, key, "").expect(t, 404, nf)
	e.do("GET", "/api/v1/customers/"+cid+"/onboardings", key, "").expect(t, 404, cnf)
	e.do("GET", "/api/v1/onboardings?customer_id="+cid, key, "").expect(t, 404, cnf)
	e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cid+`"}`).expect(t, 404, cnf)
	for _, q := range []string{"", "?state=waiting", "?phase=before_getting_started"} {
		l := e.do("GET", "/api/v1/onboardings"+q, key, "").json(t)
		d := l["data"].([]any)
		if len(d) != 1 || d[0].(map[string]any)["id"] != kept {
			t.Errorf("GET /onboardings%s lists %v, want only %s", q, d, kept)
		}
	}
	var n int
	e.store.Get(&n, `SELECT count(*) FROM onboardings WHERE id = $1 AND deleted_at IS NULL`, id)
	if n != 1 {
		t.Errorf("the onboarding row must survive its customer's deletion")
	}
}
