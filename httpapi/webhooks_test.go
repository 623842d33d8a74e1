package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// gqlData sends a GraphQL request and decodes its data, failing on errors.
func (e *env) gqlData(t *testing.T, key, query string, vars map[string]any, out any, headers ...string) {
	t.Helper()
	r := e.gql(key, query, vars, headers...)
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) > 0 {
		t.Fatalf("%s: %d %s", query, r.Status, r.Body)
	}
	if err := json.Unmarshal(body.Data, out); err != nil {
		t.Fatal(err)
	}
}

// gqlErrorCode sends a GraphQL request that must fail and returns its
// first error's REST code.
func (e *env) gqlErrorCode(t *testing.T, key, query string, vars map[string]any) string {
	t.Helper()
	r := e.gql(key, query, vars)
	var body struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("%s: want an error, got %d %s", query, r.Status, r.Body)
	}
	if code, ok := body.Errors[0].Extensions["errorCode"].(string); ok {
		return code
	}
	return string(r.Body)
}

const createEndpoint = `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) {
	secret endpoint { id url description eventTypes testMode disabled consecutiveFailures } } }`

type endpointOut struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"eventTypes"`
	TestMode    bool     `json:"testMode"`
	Disabled    bool     `json:"disabled"`
}

func (e *env) createEndpoint(t *testing.T, key string, in map[string]any) (endpointOut, string) {
	t.Helper()
	var out struct {
		C struct {
			Secret   string      `json:"secret"`
			Endpoint endpointOut `json:"endpoint"`
		} `json:"createWebhookEndpoint"`
	}
	e.gqlData(t, key, createEndpoint, map[string]any{"in": in}, &out)
	return out.C.Endpoint, out.C.Secret
}

type messageOut struct {
	ID        string `json:"id"`
	EventType string `json:"eventType"`
	Status    string `json:"status"`
	Attempts  []any  `json:"attempts"`
}

func (e *env) messages(t *testing.T, key, endpointID string) []messageOut {
	t.Helper()
	var out struct {
		M struct {
			Nodes []messageOut `json:"nodes"`
		} `json:"webhookMessages"`
	}
	e.gqlData(t, key, `query($id: ID!) { webhookMessages(endpointId: $id, first: 100) { nodes { id eventType status attempts { statusCode } } } }`,
		map[string]any{"id": endpointID}, &out)
	return out.M.Nodes
}

// TestWebhookEndpointsThroughGraphQL: create (secret once, a ping queued),
// list, update, rotate, test, replay and delete; routing by mode and by event
// type; test keys manage only test-mode endpoints; another workspace's
// endpoint is not found; secrets are neither logged nor kept in idempotency
// records.
func TestWebhookEndpointsThroughGraphQL(t *testing.T) {
	e := newEnv(t)
	e.res.Webhooks.AllowPrivate = true
	live, test, other := e.key("wh"), e.key("wh", "test"), e.key("wh-other")

	ep, secret := e.createEndpoint(t, live, map[string]any{"url": "http://127.0.0.1:9/hook", "description": "CRM",
		"eventTypes": []string{"customer.created"}})
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+32 || !strings.HasPrefix(ep.ID, "ep_") ||
		ep.TestMode || ep.Disabled || ep.Description != "CRM" || len(ep.EventTypes) != 1 {
		t.Fatalf("created %+v", ep)
	}
	testEp, testSecret := e.createEndpoint(t, test, map[string]any{"url": "http://127.0.0.1:9/test"})
	if !testEp.TestMode {
		t.Fatalf("a test key's endpoint is live: %+v", testEp)
	}
	allEp, _ := e.createEndpoint(t, live, map[string]any{"url": "http://127.0.0.1:9/all"})
	for _, s := range []string{secret, testSecret} {
		if strings.Contains(logSink.String(), s) {
			t.Fatal("a webhook secret was logged")
		}
	}
	// The same create with an Idempotency-Key is not covered: no record holds the secret.
	var again struct {
		C struct {
			Secret string `json:"secret"`
		} `json:"createWebhookEndpoint"`
	}
	e.gqlData(t, live, createEndpoint, map[string]any{"in": map[string]any{"url": "http://127.0.0.1:9/idem"}}, &again, "Idempotency-Key: wh-1")
	var stored int
	if err := e.store.GetContext(context.Background(), &stored, `SELECT count(*) FROM idempotency_keys WHERE position('whsec_' in convert_from(coalesce(body, ''), 'UTF8')) > 0`); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Fatal("an idempotency record holds a webhook secret")
	}

	// Each new endpoint has a ping queued.
	if ms := e.messages(t, live, ep.ID); len(ms) != 1 || ms[0].EventType != "webhook.ping" || ms[0].Status != "PENDING" {
		t.Fatalf("messages of a new endpoint: %+v", ms)
	}
	// A live change reaches the live endpoints subscribed to it, not the test one.
	e.newCustomer(live, "Routed")
	if ms := e.messages(t, live, ep.ID); len(ms) != 2 || ms[0].EventType != "customer.created" {
		t.Fatalf("live endpoint messages: %+v", ms)
	}
	if ms := e.messages(t, test, testEp.ID); len(ms) != 1 {
		t.Fatalf("test endpoint got a live event: %+v", ms)
	}
	// A test change reaches only the test endpoint; an update only the endpoint without a filter.
	id := e.newCustomer(test, "Sandbox")
	e.do("PATCH", "/api/v1/customers/"+id, test, `{"name":"Sandbox 2"}`).expect(t, 200, "")
	if ms := e.messages(t, test, testEp.ID); len(ms) != 3 || ms[0].EventType != "customer.updated" {
		t.Fatalf("test endpoint messages: %+v", ms)
	}
	if ms := e.messages(t, live, allEp.ID); len(ms) != 2 {
		t.Fatalf("unfiltered live endpoint messages: %+v", ms)
	}

	// Test keys see and manage only test-mode endpoints.
	var list struct {
		L struct {
			Nodes []endpointOut `json:"nodes"`
		} `json:"webhookEndpoints"`
	}
	e.gqlData(t, test, `{ webhookEndpoints { nodes { id testMode } } }`, nil, &list)
	if len(list.L.Nodes) != 1 || list.L.Nodes[0].ID != testEp.ID {
		t.Fatalf("a test key lists %+v", list.L.Nodes)
	}
	e.gqlData(t, live, `{ webhookEndpoints(first: 2) { nodes { id testMode } } }`, nil, &list)
	if len(list.L.Nodes) != 2 {
		t.Fatalf("a live key lists %+v", list.L.Nodes)
	}
	if code := e.gqlErrorCode(t, test, createEndpoint, map[string]any{"in": map[string]any{"url": "http://127.0.0.1:9/", "testMode": false}}); code != "invalid_request" {
		t.Errorf("a test key creating a live endpoint: %s", code)
	}
	for name, c := range map[string]struct{ key, id string }{
		"live endpoint with a test key": {test, ep.ID}, "another workspace": {other, ep.ID}, "unknown": {live, "ep_nope"},
	} {
		if code := e.gqlErrorCode(t, c.key, `query($id: ID!) { webhookEndpoint(id: $id) { id } }`, map[string]any{"id": c.id}); code != "webhook_endpoint_not_found" {
			t.Errorf("%s: webhookEndpoint: %s", name, code)
		}
		for _, m := range []string{"rotateWebhookSecret(id: $id) { secret }", "deleteWebhookEndpoint(id: $id) { deletedId }",
			"sendTestWebhook(id: $id) { message { id } }", `updateWebhookEndpoint(id: $id, input: {disabled: true}) { endpoint { id } }`} {
			if code := e.gqlErrorCode(t, c.key, `mutation($id: ID!) { `+m+` }`, map[string]any{"id": c.id}); code != "webhook_endpoint_not_found" {
				t.Errorf("%s: %s: %s", name, m, code)
			}
		}
	}

	// Validation.
	for _, c := range []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{"url": "ftp://example.com/"}, "invalid_string"},
		{map[string]any{"url": "https://hooks.example.com/", "eventTypes": []string{"customer.exploded"}}, "invalid_enum_value"},
		{map[string]any{"url": "https://hooks.example.com/", "description": strings.Repeat("d", 501)}, "too_big"},
	} {
		if code := e.gqlErrorCode(t, live, createEndpoint, map[string]any{"in": c.in}); code != c.want {
			t.Errorf("create %v: %s, want %s", c.in, code, c.want)
		}
	}
	e.res.Webhooks.AllowPrivate = false
	if code := e.gqlErrorCode(t, live, createEndpoint, map[string]any{"in": map[string]any{"url": "http://127.0.0.1:8080/"}}); code != "invalid_string" {
		t.Errorf("a loopback target without the operator's permission: %s", code)
	}
	if code := e.gqlErrorCode(t, live, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {url: "http://10.0.0.1/"}) { endpoint { id } } }`,
		map[string]any{"id": ep.ID}); code != "invalid_string" {
		t.Errorf("updating to a private target: %s", code)
	}
	e.res.Webhooks.AllowPrivate = true

	// Update, rotate, test, replay, delete.
	var upd struct {
		U struct {
			Endpoint endpointOut `json:"endpoint"`
		} `json:"updateWebhookEndpoint"`
	}
	e.gqlData(t, live, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {description: "CRM sync", eventTypes: [], disabled: true}) {
		endpoint { id description eventTypes disabled } } }`, map[string]any{"id": ep.ID}, &upd)
	if u := upd.U.Endpoint; u.Description != "CRM sync" || len(u.EventTypes) != 0 || !u.Disabled {
		t.Fatalf("updated %+v", u)
	}
	var rot struct {
		R struct {
			Secret string `json:"secret"`
		} `json:"rotateWebhookSecret"`
	}
	e.gqlData(t, live, `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`, map[string]any{"id": ep.ID}, &rot)
	if !strings.HasPrefix(rot.R.Secret, "whsec_") || rot.R.Secret == secret {
		t.Fatalf("rotated secret %q", rot.R.Secret)
	}
	var sent struct {
		S struct {
			Message messageOut `json:"message"`
		} `json:"sendTestWebhook"`
	}
	e.gqlData(t, live, `mutation($id: ID!) { sendTestWebhook(id: $id) { message { id eventType status } } }`, map[string]any{"id": ep.ID}, &sent)
	if sent.S.Message.EventType != "webhook.ping" || sent.S.Message.Status != "PENDING" {
		t.Fatalf("test webhook %+v", sent.S.Message)
	}
	if _, err := e.store.ExecContext(context.Background(), `UPDATE webhook_messages SET status = 'failed' WHERE id = $1`, sent.S.Message.ID); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		R struct {
			Message messageOut `json:"message"`
		} `json:"replayWebhookMessage"`
	}
	e.gqlData(t, live, `mutation($id: ID!) { replayWebhookMessage(id: $id) { message { id status } } }`, map[string]any{"id": sent.S.Message.ID}, &rep)
	if rep.R.Message.ID != sent.S.Message.ID || rep.R.Message.Status != "PENDING" {
		t.Fatalf("replayed %+v", rep.R.Message)
	}
	if code := e.gqlErrorCode(t, other, `mutation($id: ID!) { replayWebhookMessage(id: $id) { message { id } } }`, map[string]any{"id": sent.S.Message.ID}); code != "webhook_message_not_found" {
		t.Errorf("replaying another workspace's message: %s", code)
	}
	var del struct {
		D struct {
			DeletedID string `json:"deletedId"`
		} `json:"deleteWebhookEndpoint"`
	}
	e.gqlData(t, live, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, map[string]any{"id": ep.ID}, &del)
	if del.D.DeletedID != ep.ID {
		t.Fatalf("deleted %+v", del)
	}
	if code := e.gqlErrorCode(t, live, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, map[string]any{"id": ep.ID}); code != "webhook_endpoint_not_found" {
		t.Errorf("deleting twice: %s", code)
	}
}

// TestEventsFeed: the feed lists the key's mode only, newest first, pages by
// cursor, filters by type, and reads each object back as its GraphQL type.
func TestEventsFeed(t *testing.T) {
	e := newEnv(t)
	live, test := e.key("feed"), e.key("feed", "test")
	a := e.newCustomer(live, "A")
	e.newCustomer(live, "B")
	e.do("PATCH", "/api/v1/customers/"+a, live, `{"status":"at_risk"}`).expect(t, 200, "")
	e.newCustomer(test, "T")
	type page struct {
		E struct {
			Nodes []struct {
				ID                 string          `json:"id"`
				Type               string          `json:"type"`
				Livemode           bool            `json:"livemode"`
				PreviousAttributes json.RawMessage `json:"previousAttributes"`
				Object             map[string]any  `json:"object"`
			} `json:"nodes"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"events"`
	}
	const q = `query($after: String, $types: [String!]) { events(first: 2, after: $after, types: $types) {
		nodes { id type livemode previousAttributes object { __typename ... on Customer { id name status customer: slug } } }
		pageInfo { hasNextPage endCursor } } }`
	var p1, p2 page
	e.gqlData(t, live, q, nil, &p1)
	if n := p1.E.Nodes; len(n) != 2 || n[0].Type != "customer.at_risk" || n[1].Type != "customer.updated" ||
		!p1.E.PageInfo.HasNextPage || string(n[0].PreviousAttributes) != `{"status":"active"}` ||
		n[0].Object["__typename"] != "Customer" || n[0].Object["status"] != "AT_RISK" || n[0].Object["id"] != a {
		t.Fatalf("first page %+v", p1)
	}
	e.gqlData(t, live, q, map[string]any{"after": p1.E.PageInfo.EndCursor}, &p2)
	if n := p2.E.Nodes; len(n) != 2 || n[0].Type != "customer.created" || n[0].Object["name"] != "B" ||
		n[1].Object["name"] != "A" || p2.E.PageInfo.HasNextPage || string(n[1].PreviousAttributes) != "null" {
		t.Fatalf("second page %+v", p2)
	}
	var f page
	e.gqlData(t, live, q, map[string]any{"types": []string{"customer.created"}}, &f)
	if len(f.E.Nodes) != 2 || f.E.Nodes[0].Type != "customer.created" {
		t.Fatalf("filtered %+v", f)
	}
	var tp page
	e.gqlData(t, test, q, nil, &tp)
	if len(tp.E.Nodes) != 1 || tp.E.Nodes[0].Livemode || tp.E.Nodes[0].Object["name"] != "T" {
		t.Fatalf("test feed %+v", tp)
	}
	if code := e.gqlErrorCode(t, live, q, map[string]any{"after": "bm9wZQ"}); code != "invalid_string" {
		t.Errorf("bad cursor: %s", code)
	}
}
