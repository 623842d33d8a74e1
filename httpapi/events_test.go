package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// storedEvent is a row of events as the dispatcher would send it.
type storedEvent struct {
	ID      string `db:"id"`
	Type    string `db:"type"`
	Payload []byte `db:"payload"`
}

// events returns the events of the workspace of key ws slug, oldest first.
func (e *env) events(t *testing.T, slug string) []storedEvent {
	t.Helper()
	var evs []storedEvent
	err := e.store.SelectContext(context.Background(), &evs, `SELECT e.id, e.type, e.payload FROM events e
		JOIN workspaces w ON w.id = e.workspace_id WHERE w.slug = $1 ORDER BY e.seq`, slug)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// writer makes the same changes through REST or through GraphQL.
type writer struct {
	t   *testing.T
	e   *env
	key string
	via string // "rest" or "graphql"
}

var enumFields = map[string]bool{"status": true, "phase": true, "state": true}

// gqlInput turns a REST body into the GraphQL input: camelCase names and
// enum values in capitals.
func gqlInput(body map[string]any) map[string]any {
	in := map[string]any{}
	for k, v := range body {
		if s, ok := v.(string); ok && enumFields[k] {
			v = strings.ToUpper(s)
		}
		parts := strings.Split(k, "_")
		for i := 1; i < len(parts); i++ {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
		in[strings.Join(parts, "")] = v
	}
	return in
}

// write sends a create or update and returns the resulting object's id.
func (w *writer) write(method, path string, body map[string]any, mutation string, args map[string]any) string {
	w.t.Helper()
	if w.via == "rest" {
		b, _ := json.Marshal(body)
		r := w.e.do(method, path, w.key, string(b))
		if r.Status/100 != 2 {
			w.t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r.str(w.t, "id")
	}
	vars := map[string]any{}
	decl := []string{}
	call := []string{}
	for name, v := range args {
		vars[name] = v
		decl = append(decl, "$"+name+": ID!")
		call = append(call, name+": $"+name)
	}
	selection := "{ deletedId }"
	if body != nil {
		vars["input"] = gqlInput(body)
		typ := strings.ToUpper(mutation[:1]) + mutation[1:] + "Input!"
		decl = append(decl, "$input: "+typ)
		call = append(call, "input: $input")
		obj := strings.TrimPrefix(strings.TrimPrefix(mutation, "create"), "update")
		selection = "{ " + strings.ToLower(obj[:1]) + obj[1:] + " { id } }"
	}
	q := fmt.Sprintf("mutation(%s) { m: %s(%s) %s }", strings.Join(decl, ", "), mutation, strings.Join(call, ", "), selection)
	r := w.e.gql(w.key, q, vars)
	var out struct {
		Data   map[string]map[string]any `json:"data"`
		Errors []any                     `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Errors) > 0 || out.Data["m"] == nil {
		w.t.Fatalf("%s: %s", q, r.Body)
	}
	if id, ok := out.Data["m"]["deletedId"].(string); ok {
		return id
	}
	for _, v := range out.Data["m"] {
		return v.(map[string]any)["id"].(string)
	}
	return ""
}

func (w *writer) del(path, mutation, id string) {
	w.t.Helper()
	if w.via == "rest" {
		r := w.e.do("DELETE", path, w.key, "")
		if r.Status != 200 {
			w.t.Fatalf("DELETE %s: %d %s", path, r.Status, r.Body)
		}
		return
	}
	w.write("", "", nil, mutation, map[string]any{"id": id})
}

// get returns the REST resource at path as GET returns it (without the newline).
func (w *writer) get(path string) []byte {
	w.t.Helper()
	r := w.e.do("GET", path, w.key, "")
	if r.Status != 200 {
		w.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return bytes.TrimRight(r.Body, "\n")
}

// want is an expected event: its type, its previous_attributes (JSON text)
// and the REST resource its data.object must equal.
type want struct {
	typ, prev string
	object    []byte
}

var (
	eventIDFormat = regexp.MustCompile(`^evt_[0-9a-z]{24}$`)
	timeFormat    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

// checkEvents compares the events written since seen with wants, envelope
// field by field and byte for byte where the contract says so.
func checkEvents(t *testing.T, e *env, slug, workspaceID string, livemode bool, seen *int, step string, wants ...want) {
	t.Helper()
	evs := e.events(t, slug)
	got := evs[*seen:]
	*seen = len(evs)
	if len(got) != len(wants) {
		types := []string{}
		for _, g := range got {
			types = append(types, g.Type)
		}
		t.Fatalf("%s: events %v, want %d of them (%v)", step, types, len(wants), wants)
	}
	for i, g := range got {
		w := wants[i]
		var env struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			CreatedAt  string `json:"created_at"`
			OrgID      string `json:"org_id"`
			Livemode   bool   `json:"livemode"`
			APIVersion string `json:"api_version"`
			Data       struct {
				Object             json.RawMessage `json:"object"`
				PreviousAttributes json.RawMessage `json:"previous_attributes"`
			} `json:"data"`
		}
		if err := json.Unmarshal(g.Payload, &env); err != nil {
			t.Fatalf("%s: %v in %s", step, err, g.Payload)
		}
		keys := `{"id":"` + env.ID + `","type":"` + env.Type + `","created_at":"` + env.CreatedAt + `","org_id":"` +
			env.OrgID + `","livemode":` + fmt.Sprint(env.Livemode) + `,"api_version":"v1","data":{"object":`
		if !bytes.HasPrefix(g.Payload, []byte(keys)) {
			t.Errorf("%s: envelope %s does not start %s", step, g.Payload, keys)
		}
		if env.Type != w.typ || g.Type != w.typ || env.ID != g.ID || !eventIDFormat.MatchString(env.ID) ||
			!timeFormat.MatchString(env.CreatedAt) || env.OrgID != workspaceID || env.Livemode != livemode {
			t.Errorf("%s: event %d is %s, want type %s in workspace %s livemode %v", step, i, g.Payload, w.typ, workspaceID, livemode)
		}
		if string(env.Data.PreviousAttributes) != w.prev {
			t.Errorf("%s: %s previous_attributes %s, want %s", step, w.typ, env.Data.PreviousAttributes, w.prev)
		}
		if !bytes.Equal(env.Data.Object, w.object) {
			t.Errorf("%s: %s data.object\n%s\nwant the REST resource\n%s", step, w.typ, env.Data.Object, w.object)
		}
	}
}

// TestEventsThroughRESTAndGraphQL triggers every event type of the model
// through each API and checks each envelope: type, order, previous
// attributes, and data.object equal to the REST resource. Changes that change
// nothing (an empty update, a repeated delete, an idempotent replay, a write
// that rolls back) write no event.
func TestEventsThroughRESTAndGraphQL(t *testing.T) {
	e := newEnv(t)
	for _, via := range []string{"rest", "graphql"} {
		t.Run(via, func(t *testing.T) {
			slug := "ev-" + via
			w := &writer{t: t, e: e, key: e.key(slug), via: via}
			me := e.do("GET", "/api/v1/me", w.key, "").json(t)
			wsID := me["organization"].(map[string]any)["id"].(string)
			seen := 0
			check := func(step string, wants ...want) {
				t.Helper()
				checkEvents(t, e, slug, wsID, true, &seen, step, wants...)
			}

			cid := w.write("POST", "/api/v1/customers", map[string]any{"name": "Acme", "slug": "acme"}, "createCustomer", nil)
			cpath := "/api/v1/customers/" + cid
			check("create customer", want{"customer.created", "null", w.get(cpath)})

			w.write("PATCH", cpath, map[string]any{"name": "Acme Inc", "status": "at_risk"}, "updateCustomer", map[string]any{"id": cid})
			c := w.get(cpath)
			check("customer at risk", want{"customer.updated", `{"name":"Acme","status":"active"}`, c},
				want{"customer.at_risk", `{"status":"active"}`, c})

			w.write("PATCH", cpath, map[string]any{}, "updateCustomer", map[string]any{"id": cid})
			w.write("PATCH", cpath, map[string]any{"name": "Acme Inc"}, "updateCustomer", map[string]any{"id": cid})
			check("no-op updates")

			w.write("PATCH", cpath, map[string]any{"status": "churned"}, "updateCustomer", map[string]any{"id": cid})
			c = w.get(cpath)
			check("churned", want{"customer.updated", `{"status":"at_risk"}`, c}, want{"customer.churned", `{"status":"at_risk"}`, c})
			w.write("PATCH", cpath, map[string]any{"status": "archived", "mrr": 100}, "updateCustomer", map[string]any{"id": cid})
			c = w.get(cpath)
			check("archived", want{"customer.updated", `{"status":"churned","mrr":null}`, c}, want{"customer.archived", `{"status":"churned"}`, c})

			a := w.write("POST", cpath+"/contacts", map[string]any{"name": "Ann", "email": "ann@acme.test", "is_primary": true},
				"createContact", map[string]any{"customerId": cid})
			check("create contact", want{"contact.created", "null", w.get("/api/v1/contacts/" + a)})
			b := w.write("POST", cpath+"/contacts", map[string]any{"name": "Bob", "email": "bob@acme.test", "is_primary": true},
				"createContact", map[string]any{"customerId": cid})
			check("new primary", want{"contact.updated", `{"is_primary":true}`, w.get("/api/v1/contacts/" + a)},
				want{"contact.created", "null", w.get("/api/v1/contacts/" + b)})
			w.write("PATCH", "/api/v1/contacts/"+b, map[string]any{"title": "CTO", "labels": []string{"x"}}, "updateContact", map[string]any{"id": b})
			check("update contact", want{"contact.updated", `{"title":null,"labels":[]}`, w.get("/api/v1/contacts/" + b)})

			oid := w.write("POST", "/api/v1/onboardings", map[string]any{"customer_id": cid, "name": "Launch"}, "createOnboarding", nil)
			opath := "/api/v1/onboardings/" + oid
			check("create onboarding", want{"onboarding.created", "null", w.get(opath)})
			w.write("PATCH", opath, map[string]any{"phase": "review"}, "updateOnboarding", map[string]any{"id": oid})
			o := w.get(opath)
			check("phase", want{"onboarding.updated", `{"phase":"before_getting_started"}`, o},
				want{"onboarding.phase_changed", `{"phase":"before_getting_started"}`, o})
			w.write("PATCH", opath, map[string]any{"state": "at_risk"}, "updateOnboarding", map[string]any{"id": oid})
			o = w.get(opath)
			check("at risk", want{"onboarding.updated", `{"state":"active"}`, o},
				want{"onboarding.state_changed", `{"state":"active"}`, o}, want{"onboarding.at_risk", `{"state":"active"}`, o})
			w.write("PATCH", opath, map[string]any{"state": "active", "notes": "ok"}, "updateOnboarding", map[string]any{"id": oid})
			o = w.get(opath)
			check("back on track", want{"onboarding.updated", `{"state":"at_risk","notes":null}`, o},
				want{"onboarding.state_changed", `{"state":"at_risk"}`, o}, want{"onboarding.back_on_track", `{"state":"at_risk"}`, o})
			w.write("PATCH", opath, map[string]any{"phase": "launch"}, "updateOnboarding", map[string]any{"id": oid})
			o = w.get(opath)
			check("launch", want{"onboarding.updated", `{"phase":"review"}`, o},
				want{"onboarding.phase_changed", `{"phase":"review"}`, o}, want{"onboarding.launched", `{"phase":"review"}`, o})
			w.write("PATCH", opath, map[string]any{"phase": "completed"}, "updateOnboarding", map[string]any{"id": oid})
			o = w.get(opath)
			// Completing sets completed_at, which updated lists too.
			check("completed", want{"onboarding.updated", `{"phase":"launch","completed_at":null}`, o},
				want{"onboarding.phase_changed", `{"phase":"launch"}`, o}, want{"onboarding.completed", `{"phase":"launch"}`, o})

			bgone := w.get("/api/v1/contacts/" + b)
			w.del("/api/v1/contacts/"+b, "deleteContact", b)
			w.del("/api/v1/contacts/"+b, "deleteContact", b)
			check("delete contact twice", want{"contact.deleted", "null", bgone})
			ogone := w.get(opath)
			w.del(opath, "deleteOnboarding", oid)
			w.del(opath, "deleteOnboarding", oid)
			check("delete onboarding twice", want{"onboarding.deleted", "null", ogone})
			cgone := w.get(cpath)
			w.del(cpath, "deleteCustomer", cid)
			w.del(cpath, "deleteCustomer", cid)
			check("delete customer twice", want{"customer.deleted", "null", cgone})

			// A write that rolls back (the slug is taken) has no event.
			w.write("POST", "/api/v1/customers", map[string]any{"name": "Taken", "slug": "taken"}, "createCustomer", nil)
			seen++
			if via == "rest" {
				r := e.do("POST", "/api/v1/customers", w.key, `{"name":"Again","slug":"taken"}`)
				r.expect(t, 409, "")
			} else {
				r := e.gql(w.key, `mutation { createCustomer(input: {name: "Again", slug: "taken"}) { customer { id } } }`, nil)
				if !strings.Contains(string(r.Body), "slug_taken") {
					t.Fatalf("second create: %s", r.Body)
				}
			}
			check("rolled back")
		})
	}
}

// TestIdempotentReplayWritesNoEvent: a repeated Idempotency-Key replays the
// response and writes nothing, events included.
func TestIdempotentReplayWritesNoEvent(t *testing.T) {
	e := newEnv(t)
	key := e.key("ev-idem")
	first := e.do("POST", "/api/v1/customers", key, `{"name":"Once"}`, "Idempotency-Key: once-1")
	first.expect(t, 201, "")
	again := e.do("POST", "/api/v1/customers", key, `{"name":"Once"}`, "Idempotency-Key: once-1")
	again.expect(t, 201, string(first.Body))
	q := `mutation { createCustomer(input: {name: "Twice"}) { customer { id } } }`
	e.gql(key, q, nil, "Idempotency-Key: once-2")
	e.gql(key, q, nil, "Idempotency-Key: once-2")
	evs := e.events(t, "ev-idem")
	if len(evs) != 2 || evs[0].Type != "customer.created" || evs[1].Type != "customer.created" {
		t.Fatalf("events %+v, want one customer.created per key", evs)
	}
}

// TestTestKeyEventsAreNotLive: a change made with a test key writes events
// with livemode false.
func TestTestKeyEventsAreNotLive(t *testing.T) {
	e := newEnv(t)
	key := e.key("ev-test", "test")
	id := e.newCustomer(key, "Sandbox")
	wsID := e.do("GET", "/api/v1/me", key, "").json(t)["organization"].(map[string]any)["id"].(string)
	seen := 0
	w := &writer{t: t, e: e, key: key, via: "rest"}
	checkEvents(t, e, "ev-test", wsID, false, &seen, "test-mode create", want{"customer.created", "null", w.get("/api/v1/customers/" + id)})
}
