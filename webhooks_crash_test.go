package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"pivotal/db"
	"pivotal/db/dbtest"
)

// hook is one delivery a receiver saw.
type hook struct {
	msgID, eventID, eventType string
}

// TestWebhooksSurviveKill9: deliveries in flight when a serve process is
// killed (kill -9) are delivered after it, by the next process, once their
// lease expires: every event arrives, none is lost, and a repeated delivery
// carries the same svix-id and event id. While the receiver hangs, the
// dispatcher holds no database connection in a transaction and the API keeps
// answering.
func TestWebhooksSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dsn := dbtest.NewDatabase(t)
	env := []string{"DATABASE_URL=" + dsn, "PIVOTAL_LOG_FORMAT=json", "PIVOTAL_WEBHOOK_ALLOW_PRIVATE=true",
		"PIVOTAL_WEBHOOK_TIMEOUT=2s", "PIVOTAL_WEBHOOK_TIME_SCALE=36000"}
	key := binCLI(t, env, "keys", "create", "--workspace", "crash")

	var (
		mu      sync.Mutex
		got     []hook
		hanging = true
		release = make(chan struct{})
		secret  string
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct{ ID, Type string }
		json.Unmarshal(body, &ev)
		mu.Lock()
		wh, _ := svix.NewWebhook(secret)
		if err := wh.Verify(body, r.Header); err != nil {
			t.Errorf("svix rejects a delivery: %v", err)
		}
		got = append(got, hook{r.Header.Get("svix-id"), ev.ID, ev.Type})
		hang := hanging
		mu.Unlock()
		if hang {
			<-release
		}
	}))
	defer rc.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	out := binCLI(t, env, "webhooks", "create", "--workspace", "crash", "--url", rc.URL+"/hook")
	mu.Lock()
	secret = strings.Fields(out)[1]
	mu.Unlock()

	a := startServer(t, env)
	a.waitReady(t)
	url := "http://" + a.addr
	const n = 40
	for i := 0; i < n; i++ {
		r := (&instance{name: "A", url: url}).do(t, "POST", "/api/v1/customers", key, fmt.Sprintf(`{"name":"Crash %d"}`, i))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
	}
	received := func() []hook {
		mu.Lock()
		defer mu.Unlock()
		return append([]hook(nil), got...)
	}
	waitUntil(t, "deliveries in flight", func() bool { return len(received()) >= 20 })

	// The receiver hangs: the API answers, and no database connection is
	// held in a transaction or a statement on the dispatcher's behalf.
	store, err := db.Open(dsn, db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	time.Sleep(1500 * time.Millisecond)
	var busy int
	if err := store.GetContext(context.Background(), &busy, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		AND state IN ('active', 'idle in transaction') AND state_change < now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Errorf("%d database connections held for a second while every delivery waits for a hanging receiver", busy)
	}
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		start := time.Now()
		if r := (&instance{name: "A", url: url}).do(t, "GET", "/api/v1/customers?limit=5", key, ""); r.status != 200 {
			t.Fatalf("API while the receiver hangs: %d %s", r.status, r.body)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("GET /customers while %d deliveries hang: p50 %v", len(received()), lat[len(lat)/2])

	// kill -9 with deliveries in flight, then a new process takes over.
	inFlight := map[string]bool{}
	for _, h := range received() {
		inFlight[h.msgID] = true
	}
	a.cmd.Process.Kill()
	a.exit(t, 10*time.Second)
	mu.Lock()
	hanging = false
	mu.Unlock()
	close(release)
	metricsAddr := freeAddr(t)
	b := startServer(t, env, "--metrics-addr", metricsAddr)
	b.waitReady(t)
	defer func() {
		b.cmd.Process.Kill()
		b.exit(t, 10*time.Second)
	}()

	// Every event (the ping and n customer.created) arrives.
	waitUntil(t, "every event delivered", func() bool {
		seen := map[string]bool{}
		for _, h := range received() {
			seen[h.eventID] = true
		}
		return len(seen) == n+1
	})
	waitUntil(t, "every message recorded as succeeded", func() bool {
		var pending int
		store.GetContext(context.Background(), &pending, `SELECT count(*) FROM webhook_messages WHERE status <> 'succeeded'`)
		return pending == 0
	})
	// The dispatcher's metrics: attempts by outcome, their latency, the queue.
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`pivotal_webhook_deliveries_total{outcome="success"}`, "pivotal_webhook_attempt_duration_seconds_count",
		"pivotal_webhook_messages_pending", "pivotal_webhook_oldest_pending_age_seconds"} {
		if !strings.Contains(string(metricsText), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	eventOf := map[string]string{}
	deliveries := map[string]int{}
	for _, h := range received() {
		if prev, ok := eventOf[h.msgID]; ok && prev != h.eventID {
			t.Errorf("svix-id %s carried events %s and %s", h.msgID, prev, h.eventID)
		}
		eventOf[h.msgID] = h.eventID
		deliveries[h.msgID]++
	}
	redelivered := 0
	for id := range inFlight {
		if deliveries[id] >= 2 {
			redelivered++
		}
	}
	if redelivered != len(inFlight) {
		t.Errorf("%d of the %d deliveries in flight at the kill were delivered again", redelivered, len(inFlight))
	}
	t.Logf("%d deliveries in flight at kill -9, each delivered again with the same svix-id and event id; %d events, %d requests",
		len(inFlight), n+1, len(received()))
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// TestWebhooksStopOnSIGTERM: SIGTERM with a delivery hanging at the receiver
// stops serve cleanly (status 0) once the shutdown grace is over, without
// waiting for the 10-second delivery timeout; the delivery cut short is not
// counted as a failed attempt but released, due again at once for the next
// process.
func TestWebhooksStopOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dsn := dbtest.NewDatabase(t)
	env := []string{"DATABASE_URL=" + dsn, "PIVOTAL_LOG_FORMAT=json", "PIVOTAL_WEBHOOK_ALLOW_PRIVATE=true",
		"PIVOTAL_SHUTDOWN_GRACE=1s", "PIVOTAL_SHUTDOWN_DRAIN=0s"}
	var hits atomic.Int64
	release := make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
	}))
	defer rc.Close()
	defer close(release)
	binCLI(t, env, "keys", "create", "--workspace", "term")
	binCLI(t, env, "webhooks", "create", "--workspace", "term", "--url", rc.URL)
	s := startServer(t, env)
	s.waitReady(t)
	waitUntil(t, "the ping to hang at the receiver", func() bool { return hits.Load() == 1 })
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.exit(t, 8*time.Second); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, s.logs())
	}
	store, err := db.Open(dsn, db.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var m struct {
		Status   string `db:"status"`
		Attempts int    `db:"attempts"`
		Released bool   `db:"released"`
	}
	if err := store.GetContext(context.Background(), &m, `SELECT status, attempts,
		lease_token IS NULL AND next_attempt_at <= now() AS released FROM webhook_messages`); err != nil {
		t.Fatal(err)
	}
	if m.Status != "pending" || m.Attempts != 0 || !m.Released {
		t.Fatalf("the message cut short by SIGTERM: %+v; want pending, no attempt, released", m)
	}
}

// TestWebhooksTwoInstances: two serve processes on one database share the
// deliveries of writes made through both: every event arrives once, none
// twice (normal operation, no crash).
func TestWebhooksTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	env := []string{"DATABASE_URL=" + dbtest.NewDatabase(t), "PIVOTAL_WEBHOOK_ALLOW_PRIVATE=true"}
	key := binCLI(t, env, "keys", "create", "--workspace", "pair", "--tier", "unlimited")
	var mu sync.Mutex
	seen := map[string]int{}
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("svix-id")]++
		mu.Unlock()
	}))
	defer rc.Close()
	binCLI(t, env, "webhooks", "create", "--workspace", "pair", "--url", rc.URL, "--events", "customer.created")
	a, b := startInstance(t, "A", env), startInstance(t, "B", env)
	const n = 100
	for i := 0; i < n; i++ {
		in := a
		if i%2 == 1 {
			in = b
		}
		if r := in.do(t, "POST", "/api/v1/customers", key, fmt.Sprintf(`{"name":"Pair %d"}`, i)); r.status != 201 {
			t.Fatalf("%s: %d %s", in.name, r.status, r.body)
		}
	}
	waitUntil(t, "every message delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == n+1 // and the ping
	})
	mu.Lock()
	defer mu.Unlock()
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s delivered %d times", id, c)
		}
	}
}
