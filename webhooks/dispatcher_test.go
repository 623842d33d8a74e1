package webhooks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	svix "github.com/svix/svix-webhooks/go"

	"pivotal/db"
	"pivotal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a migrated database with one workspace.
type fixture struct {
	t     *testing.T
	dsn   string
	store *db.DB
	ws    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dsn := dbtest.NewDatabase(t)
	store, err := db.Open(dsn, db.Options{MaxOpenConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w, err := db.EnsureWorkspace(context.Background(), store, "hooks", "Hooks")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dsn: dsn, store: store, ws: w.ID}
}

// endpoint stores an endpoint for url and returns it (secret included).
func (f *fixture) endpoint(url string, testMode bool) *db.WebhookEndpoint {
	f.t.Helper()
	ep := &db.WebhookEndpoint{WorkspaceID: f.ws, ID: db.NewPublicID("ep_"), URL: url, TestMode: testMode, Secret: NewSecret()}
	if err := db.InsertWebhookEndpoint(context.Background(), f.store, ep); err != nil {
		f.t.Fatal(err)
	}
	return ep
}

// emit writes n live events of type typ, as the outbox does.
func (f *fixture) emit(n int, livemode bool) []string {
	f.t.Helper()
	evs := make([]db.NewEvent, n)
	ids := make([]string, n)
	for i := range evs {
		ids[i] = db.NewPublicID("evt_")
		evs[i] = db.NewEvent{ID: ids[i], Type: "customer.created",
			Payload: fmt.Appendf(nil, `{"id":%q,"type":"customer.created","n":%d}`, ids[i], i)}
	}
	if err := db.InsertEvents(context.Background(), f.store, f.ws, livemode, time.Now(), evs); err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// run starts a dispatcher until the test ends.
func (f *fixture) run(d *Dispatcher) *Dispatcher {
	if d.DB == nil {
		d.DB = f.store
	}
	d.AllowPrivate = true // the tests' receivers listen on 127.0.0.1
	if d.Poll == 0 {
		d.Poll = 5 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, context.Background()) }()
	f.t.Cleanup(func() { cancel(); <-done })
	return d
}

// waitFor polls cond until it holds, failing after a generous bound.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			f.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.store.GetContext(context.Background(), &n, query, args...); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// received is what a receiver saw.
type received struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Header                   http.Header
	At                       time.Time
}

// receiver is a real HTTP receiver answering with status(n) for its n-th
// request (1-based).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []received
	hits atomic.Int64
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		n := int(r.hits.Add(1))
		r.mu.Lock()
		r.got = append(r.got, received{ID: req.Header.Get("svix-id"), Timestamp: req.Header.Get("svix-timestamp"),
			Signature: req.Header.Get("svix-signature"), Body: body, Header: req.Header.Clone(), At: time.Now()})
		r.mu.Unlock()
		w.WriteHeader(status(n))
		io.WriteString(w, "answer "+fmt.Sprint(n))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// TestDeliveryVerifiesWithSvix: a delivery carries the Svix headers and a
// signature the official Svix library accepts, the body is the stored
// envelope byte for byte, and after a rotation both the new and the old secret
// verify it (two signatures) until the overlap ends.
func TestDeliveryVerifiesWithSvix(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, always(200))
	ep := f.endpoint(rc.URL+"/hook", false)
	f.run(&Dispatcher{})
	ids := f.emit(1, true)
	f.waitFor("the delivery", func() bool { return len(rc.all()) == 1 })
	got := rc.all()[0]
	want := fmt.Sprintf(`{"id":%q,"type":"customer.created","n":0}`, ids[0])
	if string(got.Body) != want {
		t.Fatalf("body %s, want %s", got.Body, want)
	}
	if !strings.HasPrefix(got.ID, "msg_") || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get("User-Agent") != "pivotal-webhooks/1" || strings.Count(got.Signature, "v1,") != 1 {
		t.Fatalf("headers %v", got.Header)
	}
	wh, err := svix.NewWebhook(ep.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.Body, got.Header); err != nil {
		t.Fatalf("svix rejects the delivery: %v", err)
	}
	other, _ := svix.NewWebhook(NewSecret())
	if other.Verify(got.Body, got.Header) == nil {
		t.Fatal("another secret verifies the delivery")
	}

	// Rotation: the next delivery is signed by both secrets.
	rotated, err := db.RotateWebhookSecret(context.Background(), f.store, f.ws, ep.ID, NewSecret(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.emit(1, true)
	f.waitFor("the second delivery", func() bool { return len(rc.all()) == 2 })
	got = rc.all()[1]
	if n := len(strings.Fields(got.Signature)); n != 2 {
		t.Fatalf("during the rotation window svix-signature has %d signatures: %q", n, got.Signature)
	}
	for name, secret := range map[string]string{"new": rotated.Secret, "old": ep.Secret} {
		wh, _ := svix.NewWebhook(secret)
		if err := wh.Verify(got.Body, got.Header); err != nil {
			t.Errorf("svix rejects the rotated delivery with the %s secret: %v", name, err)
		}
	}
	// After the window only the new secret signs.
	if _, err := f.store.ExecContext(context.Background(), `UPDATE webhook_endpoints SET previous_expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	f.emit(1, true)
	f.waitFor("the third delivery", func() bool { return len(rc.all()) == 3 })
	got = rc.all()[2]
	if wh, _ := svix.NewWebhook(ep.Secret); wh.Verify(got.Body, got.Header) == nil {
		t.Error("the old secret still verifies after the rotation window")
	}
	if wh, _ := svix.NewWebhook(rotated.Secret); wh.Verify(got.Body, got.Header) != nil {
		t.Error("the new secret does not verify after the rotation window")
	}
}

// The test schedule: 24 h in 2.4 s.
const testScale = 36000

// TestRetriesFollowTheSchedule: a receiver that fails twice gets the message
// on the third attempt, no sooner than the schedule's intervals; one that
// always fails gets 8 attempts, the last no sooner than 24 h (scaled) after
// the first, and the message ends failed. Every attempt is recorded.
func TestRetriesFollowTheSchedule(t *testing.T) {
	f := newFixture(t)
	flaky := newReceiver(t, func(n int) int {
		if n <= 2 {
			return 503
		}
		return 204
	})
	f.endpoint(flaky.URL, false)
	f.run(&Dispatcher{TimeScale: testScale})
	f.emit(1, true)
	f.waitFor("success on the third attempt", func() bool {
		return f.count(`SELECT count(*) FROM webhook_messages WHERE status = 'succeeded'`) == 1
	})
	got := flaky.all()
	if len(got) != 3 || got[0].ID != got[2].ID {
		t.Fatalf("%d requests; want 3 of the same message", len(got))
	}
	for i, min := range []time.Duration{5 * time.Second / testScale, 5 * time.Minute / testScale} {
		if gap := got[i+1].At.Sub(got[i].At); gap < min {
			t.Errorf("attempt %d came %v after the previous one, before the schedule's %v", i+2, gap, min)
		}
	}
	var attempts []db.WebhookAttempt
	attempts, err := db.FindWebhookAttempts(context.Background(), f.store, f.ws, []string{got[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 3 || *attempts[0].StatusCode != 503 || *attempts[2].StatusCode != 204 ||
		*attempts[0].Response != "answer 1" || attempts[2].Error != nil {
		t.Fatalf("attempts %+v", attempts)
	}

	dead := newReceiver(t, always(500))
	f.endpoint(dead.URL, false)
	f.emit(1, true)
	f.waitFor("the message to fail", func() bool {
		return f.count(`SELECT count(*) FROM webhook_messages WHERE status = 'failed'`) == 1
	})
	got = dead.all()
	if len(got) != MaxAttempts {
		t.Fatalf("%d attempts, want %d", len(got), MaxAttempts)
	}
	// The last attempt is due 24 h (scaled) after the first attempt began,
	// which its arrival at the receiver follows by however long sending took.
	var first time.Time
	if err := f.store.GetContext(context.Background(), &first, `SELECT first_attempt_at FROM webhook_messages WHERE status = 'failed'`); err != nil {
		t.Fatal(err)
	}
	if span := got[MaxAttempts-1].At.Sub(first); span < 24*time.Hour/testScale {
		t.Errorf("the last attempt came %v after the first began, before 24 h (scaled)", span)
	}
	if n := f.count(`SELECT attempts FROM webhook_messages WHERE status = 'failed'`); n != MaxAttempts {
		t.Errorf("message records %d attempts", n)
	}
}

// TestEndpointDisabledAfter100ConsecutiveFailures: the 100th consecutive
// failure disables the endpoint and fails its pending messages; a success
// before that resets the count.
func TestEndpointDisabledAfter100ConsecutiveFailures(t *testing.T) {
	f := newFixture(t)
	resetting := newReceiver(t, func(n int) int {
		if n == 60 {
			return 200
		}
		return 500
	})
	dead := newReceiver(t, always(500))
	epReset := f.endpoint(resetting.URL, false)
	epDead := f.endpoint(dead.URL, false)
	f.run(&Dispatcher{TimeScale: 1 << 30, Workers: 1})
	f.emit(30, true) // 30 messages × 8 attempts: more than enough failures
	f.waitFor("the dead endpoint to be disabled", func() bool {
		return f.count(`SELECT count(*) FROM webhook_endpoints WHERE id = $1 AND disabled`, epDead.ID) == 1
	})
	f.waitFor("no pending messages", func() bool {
		return f.count(`SELECT count(*) FROM webhook_messages WHERE status = 'pending' AND endpoint_id = $1`, epDead.ID) == 0
	})
	if n := f.count(`SELECT count(*) FROM webhook_attempts WHERE endpoint_id = $1`, epDead.ID); n != MaxConsecutiveFailures {
		t.Errorf("the dead endpoint got %d attempts, want exactly %d", n, MaxConsecutiveFailures)
	}
	// The resetting endpoint: 59 failures, a success, then failures again;
	// it is disabled at its 160th attempt, not its 100th.
	f.waitFor("the resetting endpoint to be disabled", func() bool {
		return f.count(`SELECT count(*) FROM webhook_endpoints WHERE id = $1 AND disabled`, epReset.ID) == 1
	})
	if n := f.count(`SELECT count(*) FROM webhook_attempts WHERE endpoint_id = $1`, epReset.ID); n != 160 {
		t.Errorf("the resetting endpoint was disabled after %d attempts, want 160 (59 failures, a success, 100 failures)", n)
	}
	if hits := dead.hits.Load(); hits != MaxConsecutiveFailures {
		t.Errorf("the disabled endpoint was called %d times", hits)
	}
}

// TestTwoDispatchersDeliverEachMessageOnce: two dispatchers with pools of
// their own on one database share the work; no message is delivered twice.
func TestTwoDispatchersDeliverEachMessageOnce(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, always(200))
	f.endpoint(rc.URL, false)
	const n = 300
	f.emit(n, true)
	for i := 0; i < 2; i++ {
		pool, err := db.Open(f.dsn, db.Options{MaxOpenConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pool.Close() })
		f.run(&Dispatcher{DB: pool, Workers: 16})
	}
	f.waitFor("every delivery", func() bool {
		return f.count(`SELECT count(*) FROM webhook_messages WHERE status = 'succeeded'`) == n
	})
	seen := map[string]int{}
	for _, r := range rc.all() {
		seen[r.ID]++
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages delivered, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s delivered %d times", id, c)
		}
	}
}

// TestRoutingByMode: live events reach only live endpoints, test events only
// test-mode endpoints.
func TestRoutingByMode(t *testing.T) {
	f := newFixture(t)
	live, test := newReceiver(t, always(200)), newReceiver(t, always(200))
	f.endpoint(live.URL, false)
	f.endpoint(test.URL, true)
	f.run(&Dispatcher{})
	liveIDs, testIDs := f.emit(3, true), f.emit(2, false)
	f.waitFor("five deliveries", func() bool { return len(live.all())+len(test.all()) == 5 })
	for name, c := range map[string]struct {
		r   *receiver
		ids []string
	}{"live": {live, liveIDs}, "test": {test, testIDs}} {
		got := c.r.all()
		if len(got) != len(c.ids) {
			t.Fatalf("%s endpoint got %d deliveries, want %d", name, len(got), len(c.ids))
		}
		for _, g := range got {
			if !containsAny(string(g.Body), c.ids) {
				t.Errorf("%s endpoint got %s", name, g.Body)
			}
		}
	}
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// TestPrivateTargetRefusedAtDelivery: without the operator's permission, a
// delivery to a loopback address is refused when dialing (even though the
// endpoint was stored), the receiver is never called, and the refusal is
// recorded as the attempt's error.
func TestPrivateTargetRefusedAtDelivery(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, always(200))
	// A name, not an address: the check must apply to the address dialed.
	url := strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)
	f.endpoint(url, false)
	d := &Dispatcher{DB: f.store, Poll: 5 * time.Millisecond, TimeScale: 1 << 30}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, context.Background()) }()
	defer func() { cancel(); <-done }()
	f.emit(1, true)
	f.waitFor("a refused attempt", func() bool {
		return f.count(`SELECT count(*) FROM webhook_attempts WHERE error LIKE '%private%'`) >= 1
	})
	if rc.hits.Load() != 0 {
		t.Fatal("the private receiver was called")
	}
}

// TestCheckURL: the save-time check.
func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://hooks.example.com/x", false, true},
		{"http://93.184.216.34/hook", false, true},
		{"ftp://example.com/", false, false},
		{"/relative", false, false},
		{"https://user:pw@example.com/", false, false},
		{"http://127.0.0.1:8080/", false, false},
		{"http://localhost/", false, false},
		{"http://api.localhost/", false, false},
		{"http://10.1.2.3/", false, false},
		{"http://192.168.0.10/", false, false},
		{"http://172.16.5.4/", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://[::1]/", false, false},
		{"http://[fd00::1]/", false, false},
		{"http://[fe80::1]/", false, false},
		{"http://224.0.0.1/", false, false},
		{"http://0.0.0.0/", false, false},
		{"http://[::ffff:127.0.0.1]/", false, false},
		{"http://127.0.0.1:8080/", true, true},
	} {
		err := CheckURL(context.Background(), c.url, c.allowPrivate)
		if (err == nil) != c.ok {
			t.Errorf("CheckURL(%q, allowPrivate=%v) = %v, want ok=%v", c.url, c.allowPrivate, err, c.ok)
		}
	}
}

// TestNoRedirectsBoundedExcerptTimeout: a redirect is not followed (it is the
// receiver's failing answer), a large body is read only to 1 KiB, and a
// receiver that hangs fails the attempt at the timeout.
func TestNoRedirectsBoundedExcerptTimeout(t *testing.T) {
	f := newFixture(t)
	target := newReceiver(t, always(200))
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	defer big.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	epRedirect, epBig, epHang := f.endpoint(redirect.URL, false), f.endpoint(big.URL, false), f.endpoint(hang.URL, false)
	f.run(&Dispatcher{TimeScale: 1 << 30, Timeout: 300 * time.Millisecond})
	f.emit(1, true)
	f.waitFor("three attempts", func() bool {
		return f.count(`SELECT count(DISTINCT endpoint_id) FROM webhook_attempts`) == 3
	})
	first := func(ep string) db.WebhookAttempt {
		var a db.WebhookAttempt
		if err := f.store.GetContext(context.Background(), &a, `SELECT workspace_id, id, message_id, endpoint_id,
			attempted_at, status_code, duration_ms, response, error FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY id LIMIT 1`, ep); err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := first(epRedirect.ID); a.StatusCode == nil || *a.StatusCode != 307 || target.hits.Load() != 0 {
		t.Errorf("redirect: attempt %+v, target hit %d times", a, target.hits.Load())
	}
	if a := first(epBig.ID); a.Response == nil || len(*a.Response) != 1024 {
		t.Errorf("big body: excerpt of %v bytes, want 1024", a.Response)
	}
	if a := first(epHang.ID); a.Error == nil || a.StatusCode != nil {
		t.Errorf("hanging receiver: attempt %+v, want a timeout error", a)
	}
}

// TestRetention: events older than 30 days and messages (with their
// attempts) older than 90 days are deleted; younger ones stay.
func TestRetention(t *testing.T) {
	f := newFixture(t)
	f.endpoint("https://hooks.example.com/", false)
	ids := f.emit(4, true)
	ctx := context.Background()
	age := func(table, id string, days int) {
		col := "id"
		if table == "webhook_messages" {
			col = "event_id"
		}
		if _, err := f.store.ExecContext(ctx, `UPDATE `+table+` SET created_at = now() - $1 * interval '1 day' WHERE `+col+` = $2`, days, id); err != nil {
			t.Fatal(err)
		}
	}
	age("events", ids[0], 31)
	age("events", ids[1], 29)
	age("webhook_messages", ids[2], 91)
	age("webhook_messages", ids[3], 89)
	if _, err := f.store.ExecContext(ctx, `INSERT INTO webhook_attempts (workspace_id, message_id, endpoint_id, attempted_at, duration_ms)
		SELECT workspace_id, id, endpoint_id, now(), 1 FROM webhook_messages`); err != nil {
		t.Fatal(err)
	}
	evs, msgs, err := Expire(ctx, f.store, time.Now())
	if err != nil || evs != 1 || msgs != 1 {
		t.Fatalf("Expire deleted %d events and %d messages (%v), want 1 and 1", evs, msgs, err)
	}
	if n := f.count(`SELECT count(*) FROM events WHERE id = $1`, ids[0]); n != 0 {
		t.Error("a 31-day-old event is kept")
	}
	if n := f.count(`SELECT count(*) FROM events WHERE id = ANY($1)`, pq.Array(ids[1:])); n != 3 {
		t.Errorf("%d of the 3 younger events are kept", n)
	}
	if n := f.count(`SELECT count(*) FROM webhook_messages`); n != 3 {
		t.Errorf("%d messages kept, want 3", n)
	}
	if n := f.count(`SELECT count(*) FROM webhook_attempts`); n != 3 {
		t.Errorf("%d attempts kept, want 3 (the 91-day-old message's go with it)", n)
	}
}

// TestEndpointDeletedDuringDelivery: an endpoint deleted while one of its
// deliveries is under way loses its messages; the delivery's outcome has
// nothing to be recorded against and is dropped without an error.
func TestEndpointDeletedDuringDelivery(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	var hits atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
	}))
	defer rc.Close()
	ep := f.endpoint(rc.URL, false)
	d := f.run(&Dispatcher{})
	f.emit(1, true)
	f.waitFor("the delivery to start", func() bool { return hits.Load() == 1 })
	if _, err := db.DeleteWebhookEndpoint(context.Background(), f.store, f.ws, ep.ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	r := db.AttemptResult{AttemptedAt: time.Now(), OK: true, Status: "succeeded", NextAttemptAt: time.Now()}
	disabled, err := db.RecordAttempt(context.Background(), d.DB, &db.Delivery{WorkspaceID: f.ws, MessageID: "msg_gone",
		EndpointID: ep.ID}, "lease", r, MaxConsecutiveFailures)
	if err != nil || disabled {
		t.Fatalf("recording an attempt of a deleted endpoint: %v, disabled %v", err, disabled)
	}
	if n := f.count(`SELECT count(*) FROM webhook_attempts`); n != 0 {
		t.Fatalf("%d attempts recorded for a deleted endpoint", n)
	}
}
