package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coderws "github.com/coder/websocket"

	"pivotal/db"
	"pivotal/db/dbtest"
	"pivotal/httpmw"
	"pivotal/live"
	"pivotal/resolvers"
)

// liveEnv is an env whose server serves subscriptions: a hub listening on the
// test's database.
type liveEnv struct {
	*env
	dsn string
	hub *live.Hub
}

type liveOptions struct {
	hub  live.Options
	http Options
	// observe is told of every statement of the server's pool.
	observe db.Observer
	// dsn, when set, is the database (a second instance on the same one).
	dsn string
}

func newLiveEnv(t *testing.T, o liveOptions) *liveEnv {
	t.Helper()
	dsn := o.dsn
	if dsn == "" {
		dsn = dbtest.NewDatabase(t)
	}
	store, err := db.Open(dsn, db.Options{MaxOpenConns: 30, Observe: o.observe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(httpmw.WithRequestIDs(slog.NewJSONHandler(logSink, nil)))
	res := resolvers.New(store, log)
	hub := live.New(dsn, store.DB, log, o.hub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	select {
	case <-hub.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("hub not listening after 10s")
	}
	res.Live = hub
	srv := httptest.NewServer(New(res, log, o.http))
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	return &liveEnv{env: &env{t: t, store: store, res: res, srv: srv}, dsn: dsn, hub: hub}
}

func TestSubscriptionAuthentication(t *testing.T) {
	e := newLiveEnv(t, liveOptions{})
	key := e.key("acme")
	revoked := e.key("acme", "old")
	e.do("DELETE", "/api/v1/keys/"+revoked[:16], key, "") // best effort; revoked below for sure
	if _, err := e.res.DB.ExecContext(context.Background(), `UPDATE api_keys SET revoked_at = now() WHERE name = 'old'`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, entry, key string
		code             int
		reason           string
	}{
		{"missing", "", "", 4401, "Unauthorized: missing_api_key"},
		{"invalid", "Authorization", "pivotal_live_" + strings.Repeat("x", 40), 4401, "Unauthorized: invalid_api_key"},
		{"revoked", "Authorization", revoked, 4401, "Unauthorized: api_key_revoked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, _, err := e.dialWS(t, wsDialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w.init(c.entry, c.key)
			if code, reason := w.closed(); code != c.code || reason != c.reason {
				t.Fatalf("closed with %d %q, want %d %q", code, reason, c.code, c.reason)
			}
		})
	}
	for _, name := range []string{"Authorization", "authorization", "AUTHORIZATION"} {
		t.Run("valid "+name, func(t *testing.T) {
			w, resp, err := e.dialWS(t, wsDialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "graphql-transport-ws" {
				t.Fatalf("subprotocol %q", got)
			}
			w.init(name, key)
			w.ack()
			// Queries go through POST: over WebSocket they are refused, clearly.
			w.subscribe("1", `{ me { workspace { slug } } }`)
			// graphql-transport-ws's error message: the operation ends there.
			m := w.next()
			want := `[{"message":"Only subscriptions are served over WebSocket; send queries and mutations with POST /graphql.","extensions":{"code":"BAD_USER_INPUT","errorCode":"subscriptions_only"}}]`
			if m.Type != "error" || m.ID != "1" || string(m.Payload) != want {
				t.Fatalf("query over WebSocket: %s %s %s", m.Type, m.ID, m.Payload)
			}
		})
	}
}

// A key revoked while connected is closed with 4401 within 5 s.
func TestSubscriptionKeyRevokedWhileConnected(t *testing.T) {
	e := newLiveEnv(t, liveOptions{})
	admin := e.key("acme")
	key := e.key("acme", "dashboard")
	other := e.key("acme", "other")
	w, _, _ := e.dialWS(t, wsDialOptions{})
	w.init("Authorization", key)
	w.ack()
	w2, _, _ := e.dialWS(t, wsDialOptions{})
	w2.init("Authorization", other)
	w2.ack()
	r := e.do("POST", "/graphql", admin, `{"query":"mutation { revokeApiKey(id: \"`+keyID(t, e, "dashboard")+`\") { __typename } }"}`)
	if r.Status != 200 || strings.Contains(string(r.Body), "errors") {
		t.Fatalf("revoking: %d %s", r.Status, r.Body)
	}
	start := time.Now()
	code, reason := w.closed()
	if code != 4401 || reason != "API key revoked" {
		t.Fatalf("closed with %d %q, want 4401", code, reason)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("closed after %v, want within 5s", d)
	}
	// The other key's connection stays open.
	w2.subscribe("1", `{ me { workspace { slug } } }`)
	if m := w2.next(); m.Type != "error" {
		t.Fatalf("other connection: %s %s", m.Type, m.Payload)
	}
}

func keyID(t *testing.T, e *liveEnv, name string) string {
	t.Helper()
	var id string
	if err := e.res.DB.GetContext(context.Background(), &id, `SELECT id FROM api_keys WHERE name = $1`, name); err != nil {
		t.Fatal(err)
	}
	return id
}

// Origins follow the HTTP rules: the server's own host and the allowed
// origins may open a socket; another origin may not. Upgrades to anything but
// graphql-transport-ws are still refused.
func TestSubscriptionOriginsAndUpgrades(t *testing.T) {
	e := newLiveEnv(t, liveOptions{http: Options{CORSOrigins: []string{"https://dash.example.com"}}})
	for _, c := range []struct {
		origin string
		ok     bool
	}{{"", true}, {"https://dash.example.com", true}, {e.srv.URL, true}, {"https://evil.example.com", false}} {
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		_, resp, err := e.dialWS(t, wsDialOptions{header: h})
		if c.ok != (err == nil) {
			t.Fatalf("origin %q: err %v, want ok=%v", c.origin, err, c.ok)
		}
		if !c.ok && resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: status %d, want 403", c.origin, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/graphql", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Protocol", "graphql-ws")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		t.Fatal("a graphql-ws (legacy) upgrade was accepted")
	}
}

// eventsQuery is what a dashboard subscribes to: every event with its object's
// own fields and a nested field resolved now.
const eventsQuery = `subscription { events { id type livemode previousAttributes object {
	__typename
	... on Customer { id name status }
	... on Contact { id name customer { name } }
	... on Onboarding { id phase state customer { name } }
} } }`

// liveEvent is one received event.
type liveEvent struct {
	ID                 string          `json:"id"`
	Type               string          `json:"type"`
	Livemode           bool            `json:"livemode"`
	PreviousAttributes json.RawMessage `json:"previousAttributes"`
	Object             json.RawMessage `json:"object"`
}

// nextEvent reads operation id's next event.
func (w *wsClient) nextEvent(id string) liveEvent {
	w.t.Helper()
	m := w.next()
	var p struct {
		Data struct {
			Events liveEvent `json:"events"`
		} `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if m.Type != "next" || m.ID != id || json.Unmarshal(m.Payload, &p) != nil || p.Errors != nil {
		w.t.Fatalf("got %s %s %s, want an event of %s", m.Type, m.ID, m.Payload, id)
	}
	return p.Data.Events
}

// subscribed opens a connection for key and subscribes to query as "1"; the
// first write's event proves the subscription is live (the hub registers
// it when the executor starts it).
func (e *liveEnv) subscribed(t *testing.T, key, query string) *wsClient {
	t.Helper()
	w, _, err := e.dialWS(t, wsDialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.init("Authorization", key)
	w.ack()
	w.subscribe("1", query)
	waitSubscribed(t, e.hub, 1)
	return w
}

// waitSubscribed waits until hub holds at least n subscriptions.
func waitSubscribed(t *testing.T, hub *live.Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for hub.Subscriptions() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions after 10s, want %d", hub.Subscriptions(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Writes through REST and through GraphQL reach a subscriber as the exact
// events the outbox holds, in order, with the object's own fields as of the
// event and its nested fields as they are now.
func TestSubscriptionReceivesWritesInOrder(t *testing.T) {
	e := newLiveEnv(t, liveOptions{})
	for _, via := range []string{"rest", "graphql"} {
		t.Run(via, func(t *testing.T) {
			slug := "live-" + via
			key := e.key(slug)
			ws := e.subscribed(t, key, eventsQuery)
			w := &writer{t: t, e: e.env, key: key, via: via}
			cid := w.write("POST", "/api/v1/customers", map[string]any{"name": "Acme", "slug": "acme"}, "createCustomer", nil)
			cpath := "/api/v1/customers/" + cid
			w.write("PATCH", cpath, map[string]any{"status": "at_risk"}, "updateCustomer", map[string]any{"id": cid})
			oid := w.write("POST", "/api/v1/onboardings", map[string]any{"customer_id": cid, "name": "Launch"}, "createOnboarding", nil)
			w.write("PATCH", "/api/v1/onboardings/"+oid, map[string]any{"phase": "review"}, "updateOnboarding", map[string]any{"id": oid})
			w.write("PATCH", cpath, map[string]any{"name": "Acme Inc"}, "updateCustomer", map[string]any{"id": cid})
			stored := e.events(t, slug)
			type row struct{ typ, obj, prev string }
			wants := []row{
				{"customer.created", `{"__typename":"Customer","id":"` + cid + `","name":"Acme","status":"ACTIVE"}`, `null`},
				{"customer.updated", `{"__typename":"Customer","id":"` + cid + `","name":"Acme","status":"AT_RISK"}`, `{"status":"active"}`},
				{"customer.at_risk", `{"__typename":"Customer","id":"` + cid + `","name":"Acme","status":"AT_RISK"}`, `{"status":"active"}`},
				{"onboarding.created", `{"__typename":"Onboarding","id":"` + oid + `","phase":"BEFORE_GETTING_STARTED","state":"ACTIVE","customer":{"name":"$name"}}`, `null`},
				{"onboarding.updated", `{"__typename":"Onboarding","id":"` + oid + `","phase":"REVIEW","state":"ACTIVE","customer":{"name":"$name"}}`, `{"phase":"before_getting_started"}`},
				{"onboarding.phase_changed", `{"__typename":"Onboarding","id":"` + oid + `","phase":"REVIEW","state":"ACTIVE","customer":{"name":"$name"}}`, `{"phase":"before_getting_started"}`},
				{"customer.updated", `{"__typename":"Customer","id":"` + cid + `","name":"Acme Inc","status":"AT_RISK"}`, `{"name":"Acme"}`},
			}
			if len(stored) != len(wants) {
				t.Fatalf("outbox holds %d events, want %d", len(stored), len(wants))
			}
			for i, want := range wants {
				got := ws.nextEvent("1")
				obj := got.Object
				if got.ID != stored[i].ID || got.Type != want.typ || !got.Livemode || string(got.PreviousAttributes) != want.prev {
					t.Fatalf("event %d: %s %s %v %s, want %s %s true %s", i, got.ID, got.Type, got.Livemode, got.PreviousAttributes,
						stored[i].ID, want.typ, want.prev)
				}
				// The nested customer is read when the event is delivered: by then
				// the name may already be the last one.
				w1 := strings.Replace(want.obj, "$name", "Acme", 1)
				w2 := strings.Replace(want.obj, "$name", "Acme Inc", 1)
				if string(obj) != w1 && string(obj) != w2 {
					t.Fatalf("event %d (%s) object %s, want %s", i, want.typ, obj, w1)
				}
			}
		})
	}
}

// A key receives the events of its own workspace and mode only, and a types
// filter keeps just those types.
func TestSubscriptionIsolationAndTypes(t *testing.T) {
	e := newLiveEnv(t, liveOptions{})
	live, test, other := e.key("iso"), e.key("iso", "test"), e.key("iso-other")
	wl := e.subscribed(t, live, `subscription { events { id type livemode } }`)
	wt, _, _ := e.dialWS(t, wsDialOptions{})
	wt.init("Authorization", test)
	wt.ack()
	wt.subscribe("t", `subscription { events(types: ["customer.updated"]) { id type livemode } }`)
	waitSubscribed(t, e.hub, 2)
	for i, k := range []string{other, test, live, test} {
		body := fmt.Sprintf(`{"name":"C%d","slug":"c%d"}`, i, i)
		if r := e.do("POST", "/api/v1/customers", k, body); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
	}
	id := e.do("GET", "/api/v1/customers?limit=1", test, "").json(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	if r := e.do("PATCH", "/api/v1/customers/"+id, test, `{"name":"Renamed"}`); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if got := wl.nextEvent("1"); got.Type != "customer.created" || !got.Livemode {
		t.Fatalf("live key got %+v", got)
	}
	if got := wt.nextEvent("t"); got.Type != "customer.updated" || got.Livemode {
		t.Fatalf("test key got %+v", got)
	}
	// Nothing else arrives: another workspace's event and the other mode's
	// would have come before these (one listener, commit order).
	if r := e.do("POST", "/api/v1/customers", live, `{"name":"Last","slug":"last"}`); r.Status != 201 {
		t.Fatal(r.Status)
	}
	if got := wl.nextEvent("1"); got.Type != "customer.created" {
		t.Fatalf("live key got %+v", got)
	}
	select {
	case m := <-wt.msgs:
		t.Fatalf("test key got %s %s", m.Type, m.Payload)
	case <-time.After(300 * time.Millisecond):
	}
}

// The per-key limit refuses one more subscription with a clear error.
func TestSubscriptionPerKeyLimit(t *testing.T) {
	e := newLiveEnv(t, liveOptions{hub: live.Options{MaxPerKey: 2}})
	key := e.key("limit")
	w := e.subscribed(t, key, `subscription { events { id } }`)
	w.subscribe("2", `subscription { events { id } }`)
	waitSubscribed(t, e.hub, 2)
	w.subscribe("3", `subscription { events { id } }`)
	m := w.next()
	want := `{"errors":[{"message":"This API key holds the most subscriptions allowed at once on this server; complete one before starting another.","path":["events"],"locations":[{"line":1,"column":16}],"extensions":{"code":"RATE_LIMITED","errorCode":"too_many_subscriptions"}}],"data":null}`
	if m.Type != "next" || m.ID != "3" || string(m.Payload) != want {
		t.Fatalf("third subscription: %s %s %s", m.Type, m.ID, m.Payload)
	}
}

// Two instances on one database: a write through A reaches a subscriber on B.
// B's LISTEN connection is killed while writes go on: after it reconnects,
// every event has arrived, once, in order.
func TestSubscriptionAcrossInstances(t *testing.T) {
	a := newLiveEnv(t, liveOptions{})
	b := newLiveEnv(t, liveOptions{dsn: a.dsn, hub: live.Options{Name: "pivotal-live-b"}})
	key := a.key("two")
	ws := b.subscribed(t, key, `subscription { events { id type } }`)
	start := time.Now()
	if r := a.do("POST", "/api/v1/customers", key, `{"name":"First","slug":"first"}`); r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if got := ws.nextEvent("1"); got.Type != "customer.created" {
		t.Fatalf("got %+v", got)
	}
	t.Logf("write through A to delivery on B: %v", time.Since(start))

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if r := a.do("POST", "/api/v1/customers", key, fmt.Sprintf(`{"name":"C%d","slug":"c%d"}`, i, i)); r.Status != 201 {
				t.Errorf("create: %d %s", r.Status, r.Body)
				return
			}
		}
	}()
	for i := 0; i < 2; i++ {
		time.Sleep(100 * time.Millisecond)
		var n int
		if err := a.store.GetContext(context.Background(), &n, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'pivotal-live-b'`); err != nil || n != 1 {
			t.Fatalf("terminating B's LISTEN connection: %d %v", n, err)
		}
		// The next kill waits for the reconnection: a kill during it would
		// only make it one reconnection, later.
		deadline := time.Now().Add(10 * time.Second)
		for b.hub.Snapshot().Reconnects < int64(i+1) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-done
	if n := b.hub.Snapshot().Reconnects; n < 2 {
		t.Fatalf("B reconnected %d times, want 2", n)
	}
	stored := a.events(t, "two")[1:]
	seen := map[string]bool{}
	for range stored {
		got := ws.nextEvent("1")
		if seen[got.ID] {
			t.Fatalf("event %s delivered twice", got.ID)
		}
		seen[got.ID] = true
	}
	for _, s := range stored {
		if !seen[s.ID] {
			t.Fatalf("event %s (%s) never arrived on B (%d written)", s.ID, s.Type, len(stored))
		}
	}
	t.Logf("%d events written during 2 lost LISTEN connections, all delivered once", len(stored))
}

// A subscriber that stops reading is closed (1013, with its reason) once its
// buffer is full; another subscriber of the same workspace gets every event.
func TestSubscriptionSlowSubscriberIsClosed(t *testing.T) {
	e := newLiveEnv(t, liveOptions{hub: live.Options{Buffer: 2}, http: Options{WebSocketSendBuffer: 4096}})
	key := e.key("slow")
	fast := e.subscribed(t, key, `subscription { events { id object { ... on Customer { metadata } } } }`)
	slow, _, err := e.dialWS(t, wsDialOptions{readBuffer: 2048, manual: true})
	if err != nil {
		t.Fatal(err)
	}
	slow.init("Authorization", key)
	if m, err := slow.read(); err != nil || m.Type != "connection_ack" {
		t.Fatalf("slow: %v %v", m, err)
	}
	slow.subscribe("s", `subscription { events { id object { ... on Customer { metadata } } } }`)
	waitSubscribed(t, e.hub, 2)
	// Events of a few KiB fill the small socket buffers quickly.
	pad := strings.Repeat("lorem ipsum ", 170) // not x…x: the leak check looks for "pivotal_" + 32 x (ratelimit_test.go)
	n := 0
	for ; e.hub.Snapshot().Dropped == 0 && n < 500; n++ {
		body := fmt.Sprintf(`{"name":"C%d","slug":"c%d","metadata":{"pad":"%s"}}`, n, n, pad)
		if r := e.do("POST", "/api/v1/customers", key, body); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		if got := fast.nextEvent("1"); got.ID == "" {
			t.Fatal("fast subscriber: empty event")
		}
	}
	if e.hub.Snapshot().Dropped != 1 {
		t.Fatalf("slow subscriber not dropped after %d events", n)
	}

	// The slow client reads again: what was queued, then the close.
	code, reason := -1, ""
	for {
		_, _, err := slow.c.Read(context.Background())
		if err != nil {
			var ce coderws.CloseError
			if errors.As(err, &ce) {
				code, reason = int(ce.Code), ce.Reason
			}
			break
		}
	}
	if code != 1013 || reason != "subscriber too slow: more than 2 events waiting" {
		t.Fatalf("slow subscriber closed with %d %q", code, reason)
	}
	// The fast one is still served.
	if r := e.do("POST", "/api/v1/customers", key, `{"name":"After","slug":"after"}`); r.Status != 201 {
		t.Fatal(r.Status)
	}
	if got := fast.nextEvent("1"); got.ID == "" {
		t.Fatal("fast subscriber: no event after the slow one was closed")
	}
	t.Logf("slow subscriber closed after %d events", n)
}

// One event fanned out to many subscribers costs the same statements as to
// one: the hub reads it once, and the subscribers' nested fields share one
// set of loaders per round of events.
func TestSubscriptionStatementsPerEventAreBounded(t *testing.T) {
	var statements atomic.Int64
	e := newLiveEnv(t, liveOptions{observe: func(context.Context, time.Duration, error) { statements.Add(1) }})
	key := e.key("fan")
	cid := e.do("POST", "/api/v1/customers", key, `{"name":"Acme","slug":"acme"}`).str(t, "id")
	if r := e.do("POST", "/api/v1/customers/"+cid+"/contacts", key, `{"name":"Ann","email":"ann@acme.test","is_primary":true}`); r.Status != 201 {
		t.Fatal(r.Status)
	}
	oid := e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cid+`","name":"Launch"}`).str(t, "id")
	const query = `subscription { events(types: ["onboarding.phase_changed"]) { type object { ... on Onboarding {
		id phase customer { name primaryContact { name } contacts(first: 5) { nodes { email } } } } } } }`
	// settled returns the statement count once it has stopped moving.
	settled := func() int64 {
		for {
			n := statements.Load()
			time.Sleep(150 * time.Millisecond)
			if statements.Load() == n {
				return n
			}
		}
	}
	// fanOut returns the statements a phase change costs with n subscribers.
	fanOut := func(n int, phase string) int64 {
		t.Helper()
		var clients []*wsClient
		for i := 0; i < n; i++ {
			w, _, err := e.dialWS(t, wsDialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w.init("Authorization", key)
			w.ack()
			w.subscribe("1", query)
			clients = append(clients, w)
		}
		waitSubscribed(t, e.hub, n)
		before := settled()
		if r := e.do("PATCH", "/api/v1/onboardings/"+oid, key, `{"phase":"`+phase+`"}`); r.Status != 200 {
			t.Fatal(r.Status)
		}
		for _, w := range clients {
			got := w.nextEvent("1")
			if got.Type != "onboarding.phase_changed" || !strings.Contains(string(got.Object), `"primaryContact":{"name":"Ann"}`) ||
				!strings.Contains(string(got.Object), `"nodes":[{"email":"ann@acme.test"}]`) {
				t.Fatalf("got %s %s", got.Type, got.Object)
			}
		}
		n64 := settled() - before
		for _, w := range clients {
			w.c.Close(coderws.StatusNormalClosure, "")
		}
		deadline := time.Now().Add(10 * time.Second)
		for e.hub.Subscriptions() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		return n64
	}
	write := fanOut(0, "program_design")
	one := fanOut(1, "review") - write
	many := fanOut(40, "program_buildout") - write
	t.Logf("statements: the write %d; fan-out to 1 subscriber %d, to 40 subscribers %d", write, one, many)
	if one < 2 || many != one {
		t.Fatalf("fan-out to 40 subscribers ran %d statements, to 1 %d: want the same", many, one)
	}
}
