package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// onboardingJSON is the exact body of an onboarding of customer cid; fields
// overrides replace defaults ("name":"x" style fragments, comma separated).
func onboardingJSON(displayID int, cid string, overrides map[string]string) string {
	fields := []struct{ k, v string }{
		{"object", `"onboarding"`}, {"id", `"$cuid"`}, {"display_id", fmt.Sprint(displayID)},
		{"customer_id", `"` + cid + `"`}, {"name", `"Aurora onboarding"`}, {"template_id", "null"},
		{"phase", `"before_getting_started"`}, {"state", `"active"`}, {"waiting_on_customer", "false"},
		{"started_at", `"$time"`}, {"completed_at", "null"}, {"target_launch_date", "null"},
		{"csm_id", "null"}, {"se_id", "null"}, {"designer_id", "null"}, {"product_ops_id", "null"},
		{"notes", "null"}, {"reminders_enabled", "true"}, {"reminder_frequency_days", "1"},
		{"created_at", `"$time"`}, {"updated_at", `"$time"`},
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		v := f.v
		if o, ok := overrides[f.k]; ok {
			v = o
		}
		parts[i] = fmt.Sprintf("%q:%s", f.k, v)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// newOnboarding creates an onboarding with body fields extra (JSON members
// without braces) and returns its cuid.
func (e *env) newOnboarding(key, cid, extra string) string {
	e.t.Helper()
	body := `{"customer_id":"` + cid + `"`
	if extra != "" {
		body += "," + extra
	}
	r := e.do("POST", "/api/v1/onboardings", key, body+"}")
	r.expect(e.t, 201, "")
	return r.str(e.t, "id")
}

func TestOnboardingCreateDefaultsAndRead(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")

	r := e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cid+`","id":"ignored","started_at":"2000-01-01T00:00:00Z","unknown":1}`)
	r.expect(t, 201, onboardingJSON(1, cid, nil))
	b := r.json(t)
	if b["started_at"] != b["created_at"] || b["updated_at"] != b["created_at"] {
		t.Errorf("started_at and updated_at must equal created_at at creation: %s", r.Body)
	}
	id := b["id"].(string)
	for _, ref := range []string{id, "1"} {
		g := e.do("GET", "/api/v1/onboardings/"+ref, key, "")
		g.expect(t, 200, "")
		if string(g.Body) != string(r.Body) {
			t.Errorf("GET %s = %s, want %s", ref, g.Body, r.Body)
		}
	}

	// Every field set, customer by display id.
	full := e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"1","name":"Custom","template_id":"tpl_1",
		"phase":"review","state":"paused","target_launch_date":"2026-07-15","csm_id":"csm","se_id":"se",
		"designer_id":"des","product_ops_id":"ops","notes":"Hello","reminders_enabled":false,"reminder_frequency_days":90}`)
	full.expect(t, 201, onboardingJSON(2, cid, map[string]string{"name": `"Custom"`, "template_id": `"tpl_1"`,
		"phase": `"review"`, "state": `"paused"`, "target_launch_date": `"2026-07-15T00:00:00.000000Z"`,
		"csm_id": `"csm"`, "se_id": `"se"`, "designer_id": `"des"`, "product_ops_id": `"ops"`, "notes": `"Hello"`,
		"reminders_enabled": "false", "reminder_frequency_days": "90"}))
	// A display id may also come as a JSON integer.
	e.do("POST", "/api/v1/onboardings", key, `{"customer_id":1,"name":"By number"}`).expect(t, 201,
		onboardingJSON(3, cid, map[string]string{"name": `"By number"`}))

	// The default name is cut so that it stays within 255 characters.
	long := strings.Repeat("é", 255)
	lid := e.newCustomer(key, long)
	r = e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+lid+`"}`)
	r.expect(t, 201, "")
	if want := strings.Repeat("é", 244) + " onboarding"; r.str(t, "name") != want {
		t.Errorf("long default name: %q", r.str(t, "name"))
	}
	// Another workspace numbers its onboardings from 1.
	other := e.key("other")
	ocid := e.newCustomer(other, "Aurora")
	e.do("POST", "/api/v1/onboardings", other, `{"customer_id":"`+ocid+`"}`).expect(t, 201, onboardingJSON(1, ocid, nil))
}

func TestOnboardingWaitingRule(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")
	conflict := `{"error":{"type":"invalid_request_error","code":"conflicting_fields","message":"waiting_on_customer contradicts state: waiting_on_customer is true exactly when state is waiting","field":"waiting_on_customer"}}`

	// On create.
	creates := []struct{ body, state, waiting string }{
		{``, "active", "false"},
		{`"state":"waiting"`, "waiting", "true"},
		{`"state":"paused"`, "paused", "false"},
		{`"waiting_on_customer":true`, "waiting", "true"},
		{`"waiting_on_customer":false`, "active", "false"},
		{`"state":"waiting","waiting_on_customer":true`, "waiting", "true"},
		{`"state":"at_risk","waiting_on_customer":false`, "at_risk", "false"},
		{`"state":"paused","waiting_on_customer":true`, "", ""},
		{`"state":"active","waiting_on_customer":true`, "", ""},
		{`"state":"waiting","waiting_on_customer":false`, "", ""},
	}
	for _, c := range creates {
		body := `{"customer_id":"` + cid + `"`
		if c.body != "" {
			body += "," + c.body
		}
		r := e.do("POST", "/api/v1/onboardings", key, body+"}")
		if c.state == "" {
			r.expect(t, 400, conflict)
			continue
		}
		r.expect(t, 201, "")
		if got := r.json(t); got["state"] != c.state || fmt.Sprint(got["waiting_on_customer"]) != c.waiting {
			t.Errorf("create %s: state %v waiting %v, want %s %s", c.body, got["state"], got["waiting_on_customer"], c.state, c.waiting)
		}
	}

	// On update, against the stored row.
	updates := []struct{ stored, body, state, waiting string }{
		{"active", `"state":"waiting"`, "waiting", "true"},
		{"active", `"waiting_on_customer":true`, "waiting", "true"},
		{"paused", `"waiting_on_customer":true`, "waiting", "true"},
		{"waiting", `"waiting_on_customer":false`, "active", "false"},
		{"waiting", `"state":"paused"`, "paused", "false"},
		{"waiting", `"state":"waiting"`, "waiting", "true"},
		{"waiting", `"waiting_on_customer":true`, "waiting", "true"},
		{"waiting", `"name":"renamed"`, "waiting", "true"},
		// Not waiting: waiting_on_customer false is already so and changes nothing.
		{"paused", `"waiting_on_customer":false`, "paused", "false"},
		{"at_risk", `"state":"active","waiting_on_customer":false`, "active", "false"},
		{"paused", `"state":"waiting","waiting_on_customer":true`, "waiting", "true"},
		{"waiting", `"state":"paused","waiting_on_customer":true`, "", ""},
		{"active", `"state":"waiting","waiting_on_customer":false`, "", ""},
	}
	for _, c := range updates {
		id := e.newOnboarding(key, cid, `"state":"`+c.stored+`"`)
		r := e.do("PATCH", "/api/v1/onboardings/"+id, key, "{"+c.body+"}")
		if c.state == "" {
			r.expect(t, 400, conflict)
			g := e.do("GET", "/api/v1/onboardings/"+id, key, "").json(t)
			if g["state"] != c.stored {
				t.Errorf("a refused update changed the state: %v", g["state"])
			}
			continue
		}
		r.expect(t, 200, "")
		if got := r.json(t); got["state"] != c.state || fmt.Sprint(got["waiting_on_customer"]) != c.waiting {
			t.Errorf("update %s over %s: state %v waiting %v, want %s %s", c.body, c.stored, got["state"], got["waiting_on_customer"], c.state, c.waiting)
		}
	}
}

func TestOnboardingUpdateAndCompletion(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme", "Sync job")
	cid := e.newCustomer(key, "Aurora")
	r := e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cid+`","notes":"n","target_launch_date":"2026-07-15T10:30:00.123456789+02:00"}`)
	r.expect(t, 201, onboardingJSON(1, cid, map[string]string{"notes": `"n"`, "target_launch_date": `"2026-07-15T08:30:00.123456Z"`}))
	id, created := r.str(t, "id"), r.json(t)

	// {} and a PATCH of equal values change nothing, not even updated_at.
	for _, body := range []string{`{}`, `{"notes":"n","phase":"before_getting_started","customer_id":"x","started_at":null}`} {
		same := e.do("PATCH", "/api/v1/onboardings/"+id, key, body)
		same.expect(t, 200, "")
		if string(same.Body) != string(r.Body) {
			t.Errorf("PATCH %s changed the onboarding:\n%s\n%s", body, r.Body, same.Body)
		}
	}
	u := e.do("PATCH", "/api/v1/onboardings/1", key, `{"name":"Renamed","notes":null,"target_launch_date":null,
		"template_id":"t","reminder_frequency_days":7,"reminders_enabled":false,"customer_id":"nope"}`)
	u.expect(t, 200, onboardingJSON(1, cid, map[string]string{"name": `"Renamed"`, "template_id": `"t"`,
		"reminders_enabled": "false", "reminder_frequency_days": "7",
		"started_at": `"` + created["started_at"].(string) + `"`, "created_at": `"` + created["created_at"].(string) + `"`}))
	if u.str(t, "updated_at") <= created["updated_at"].(string) {
		t.Errorf("updated_at did not move: %s", u.Body)
	}

	// completed_at is set when the phase becomes completed, kept while it
	// stays, and cleared when it leaves.
	done := e.do("PATCH", "/api/v1/onboardings/"+id, key, `{"phase":"completed"}`)
	done.expect(t, 200, "")
	d := done.json(t)
	if d["completed_at"] != d["updated_at"] || d["phase"] != "completed" {
		t.Fatalf("completed_at must be the time of completion: %s", done.Body)
	}
	again := e.do("PATCH", "/api/v1/onboardings/"+id, key, `{"phase":"completed","notes":"still done"}`).json(t)
	if again["completed_at"] != d["completed_at"] {
		t.Errorf("completed_at moved while the phase stayed completed: %v", again["completed_at"])
	}
	back := e.do("PATCH", "/api/v1/onboardings/"+id, key, `{"phase":"launch"}`).json(t)
	if back["completed_at"] != nil {
		t.Errorf("completed_at not cleared: %v", back["completed_at"])
	}
	// Created completed: completed_at is the creation time.
	c := e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cid+`","phase":"completed"}`).json(t)
	if c["completed_at"] != c["created_at"] {
		t.Errorf("created completed: completed_at %v, created_at %v", c["completed_at"], c["created_at"])
	}

	// Every phase change is on the timeline, with the key's name, in order.
	type row struct {
		From  *string `db:"from_phase"`
		To    string  `db:"to_phase"`
		Actor string  `db:"actor"`
		At    string  `db:"at"`
	}
	var rows []row
	if err := e.store.Select(&rows, `SELECT from_phase, to_phase, actor,
		to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
		FROM phase_transitions WHERE onboarding_id = $1 ORDER BY created_at`, id); err != nil {
		t.Fatal(err)
	}
	want := []string{"<nil>→before_getting_started", "before_getting_started→completed", "completed→launch"}
	if len(rows) != len(want) {
		t.Fatalf("transitions %+v, want %v", rows, want)
	}
	for i, w := range want {
		from := "<nil>"
		if rows[i].From != nil {
			from = *rows[i].From
		}
		if from+"→"+rows[i].To != w || rows[i].Actor != "API: Sync job" {
			t.Errorf("transition %d = %s→%s by %q, want %s by API: Sync job", i, from, rows[i].To, rows[i].Actor, w)
		}
	}
	if rows[0].At != created["created_at"] || rows[1].At != d["updated_at"] || rows[2].At != back["updated_at"] {
		t.Errorf("transition times %+v must be the times of the changes", rows)
	}
	var audits int
	e.store.Get(&audits, `SELECT count(*) FROM audit_events WHERE object_id = $1 AND object_type = 'onboarding' AND actor = 'API: Sync job'`, id)
	if audits != 5 {
		t.Errorf("audit events: %d, want 5 (created, 4 updates)", audits)
	}
}

func TestOnboardingTargetLaunchDate(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")
	id := e.newOnboarding(key, cid, "")
	bad := `{"error":{"type":"invalid_request_error","code":"invalid_string","message":"target_launch_date must be an ISO date (YYYY-MM-DD) or an ISO 8601 datetime","field":"target_launch_date"}}`
	cases := []struct{ in, want string }{
		{`"2026-07-15"`, `"2026-07-15T00:00:00.000000Z"`},
		{`"2026-07-15T00:00:00Z"`, `"2026-07-15T00:00:00.000000Z"`},
		{`"2026-07-15T23:30:00-02:00"`, `"2026-07-16T01:30:00.000000Z"`},
		{`"2026-07-15T12:00:00.5Z"`, `"2026-07-15T12:00:00.500000Z"`},
		{`null`, `null`},
		{`"2026-02-30"`, ""},
		{`"15/07/2026"`, ""},
		{`"2026-07-15T12:00"`, ""},
		{`"tomorrow"`, ""},
		{`""`, ""},
	}
	for _, c := range cases {
		for _, method := range []string{"POST", "PATCH"} {
			path, body := "/api/v1/onboardings", `{"customer_id":"`+cid+`","target_launch_date":`+c.in+`}`
			if method == "PATCH" {
				path, body = path+"/"+id, `{"target_launch_date":`+c.in+`}`
			}
			r := e.do(method, path, key, body)
			if c.want == "" {
				r.expect(t, 400, bad)
				continue
			}
			r.expect(t, map[string]int{"POST": 201, "PATCH": 200}[method], "")
			if got := string(mustJSON(t, r.json(t)["target_launch_date"])); got != c.want {
				t.Errorf("%s %s: target_launch_date %s, want %s", method, c.in, got, c.want)
			}
		}
	}
	e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cid+`","target_launch_date":20260715}`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_type","message":"target_launch_date must be a string","field":"target_launch_date"}}`)
}

func TestOnboardingDelete(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")
	id := e.newOnboarding(key, cid, "")
	want := `{"object":"deleted","id":"` + id + `","display_id":1,"deleted":true}`
	e.do("DELETE", "/api/v1/onboardings/"+id, key, "").expect(t, 200, want)
	e.do("DELETE", "/api/v1/onboardings/1", key, "").expect(t, 200, want)
	nf := `{"error":{"type":"not_found","code":"onboarding_not_found","message":"No such onboarding."}}`
	e.do("GET", "/api/v1/onboardings/"+id, key, "").expect(t, 404, nf)
	e.do("PATCH", "/api/v1/onboardings/"+id, key, `{"name":"x"}`).expect(t, 404, nf)
	e.do("GET", "/api/v1/onboardings", key, "").expect(t, 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
	e.do("GET", "/api/v1/customers/"+cid+"/onboardings", key, "").expect(t, 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`)
	var rows, audits int
	e.store.Get(&rows, `SELECT count(*) FROM onboardings WHERE id = $1 AND deleted_at IS NOT NULL`, id)
	e.store.Get(&audits, `SELECT count(*) FROM audit_events WHERE object_id = $1 AND action = 'onboarding.deleted'`, id)
	if rows != 1 || audits != 1 {
		t.Errorf("deleted row kept: %d; deletion audited once: %d", rows, audits)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
