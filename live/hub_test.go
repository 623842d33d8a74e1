package live

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"pivotal/db"
	"pivotal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type fixture struct {
	t     *testing.T
	dsn   string
	store *db.DB
	hub   *Hub
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	dsn := dbtest.NewDatabase(t)
	store, err := db.Open(dsn, db.Options{MaxOpenConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, dsn: dsn, store: store}
	f.hub = f.startHub(o)
	return f
}

func (f *fixture) startHub(o Options) *Hub {
	h := New(f.dsn, f.store.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	f.t.Cleanup(func() { cancel(); <-done })
	select {
	case <-h.Ready():
	case <-time.After(10 * time.Second):
		f.t.Fatal("hub not listening after 10s")
	}
	return h
}

func (f *fixture) workspace(slug string) string {
	ws, err := db.EnsureWorkspace(context.Background(), f.store, slug, slug)
	if err != nil {
		f.t.Fatal(err)
	}
	return ws.ID
}

// write commits one event of typ in ws and mode and returns its id.
func (f *fixture) write(ws string, live bool, typ string) string {
	f.t.Helper()
	id := db.NewPublicID("evt_")
	err := db.InsertEvents(context.Background(), f.store, ws, live, time.Now(),
		[]db.NewEvent{{ID: id, Type: typ, Payload: []byte(`{"id":"` + id + `"}`)}})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// next waits for s's next event.
func next(t *testing.T, s *Sub) (string, bool) {
	t.Helper()
	select {
	case d, ok := <-s.C():
		if !ok {
			return "", false
		}
		return d.Event.ID, true
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return "", false
}

func conn(key string) *Conn { return &Conn{KeyID: key, Close: func(int, string) {}} }

func TestHubDeliversOwnFeedFilteredInOrder(t *testing.T) {
	f := newFixture(t, Options{})
	a, b := f.workspace("a"), f.workspace("b")
	all, err := f.hub.Subscribe(conn("k1"), db.Feed{WorkspaceID: a, Livemode: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	onlyUpdated, _ := f.hub.Subscribe(conn("k1"), db.Feed{WorkspaceID: a, Livemode: true}, []string{"customer.updated"})
	var want []string
	f.write(b, true, "customer.created")  // another workspace
	f.write(a, false, "customer.created") // the other mode
	for i := 0; i < 5; i++ {
		want = append(want, f.write(a, true, "customer.created"), f.write(a, true, "customer.updated"))
	}
	for i, w := range want {
		if got, _ := next(t, all); got != w {
			t.Fatalf("event %d: got %s, want %s", i, got, w)
		}
		if i%2 == 1 {
			if got, _ := next(t, onlyUpdated); got != w {
				t.Fatalf("filtered event %d: got %s, want %s", i, got, w)
			}
		}
	}
	select {
	case d := <-all.C():
		t.Fatalf("unexpected event %s (%s)", d.Event.ID, d.Event.Type)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestHubPerKeyLimit(t *testing.T) {
	f := newFixture(t, Options{MaxPerKey: 2})
	feed := db.Feed{WorkspaceID: f.workspace("a"), Livemode: true}
	s1, _ := f.hub.Subscribe(conn("k"), feed, nil)
	if _, err := f.hub.Subscribe(conn("k"), feed, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.hub.Subscribe(conn("k"), feed, nil); err == nil {
		t.Fatal("third subscription of one key accepted; limit is 2")
	}
	if _, err := f.hub.Subscribe(conn("other"), feed, nil); err != nil {
		t.Fatalf("another key: %v", err)
	}
	s1.Unsubscribe()
	if _, err := f.hub.Subscribe(conn("k"), feed, nil); err != nil {
		t.Fatalf("after unsubscribing: %v", err)
	}
}

// The LISTEN connection is killed while events are written: after it comes
// back, every event arrives exactly once.
func TestHubCatchesUpAfterLostListenConnection(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.workspace("a")
	s, _ := f.hub.Subscribe(conn("k"), db.Feed{WorkspaceID: ws, Livemode: true}, nil)
	var want []string
	var mu sync.Mutex
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := f.write(ws, true, fmt.Sprintf("t%d", i))
			mu.Lock()
			want = append(want, id)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 2; i++ {
		var n int
		if err := f.store.GetContext(context.Background(), &n, `SELECT count(pg_terminate_backend(pid))
			FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pivotal-live'`); err != nil || n != 1 {
			t.Fatalf("terminating the LISTEN backend: %d, %v", n, err)
		}
		// The next kill waits for the reconnection (a kill during it would
		// only delay it), with writes going on meanwhile.
		deadline := time.Now().Add(10 * time.Second)
		for f.hub.Snapshot().Reconnects < int64(i+1) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-writerDone
	mu.Lock()
	defer mu.Unlock()
	if f.hub.Snapshot().Reconnects < 2 {
		t.Fatalf("reconnects: %d, want 2", f.hub.Snapshot().Reconnects)
	}
	got := map[string]bool{}
	for len(got) < len(want) {
		id, _ := next(t, s)
		if got[id] {
			t.Fatalf("event %s delivered twice", id)
		}
		got[id] = true
	}
	for _, id := range want {
		if !got[id] {
			t.Fatalf("event %s missing", id)
		}
	}
	select {
	case d := <-s.C():
		t.Fatalf("extra event %s", d.Event.ID)
	case <-time.After(200 * time.Millisecond):
	}
}

// A subscriber that does not read is dropped with a clear reason once its
// buffer is full; another subscriber of the same feed gets everything.
func TestHubDropsSlowSubscriber(t *testing.T) {
	f := newFixture(t, Options{Buffer: 4})
	feed := db.Feed{WorkspaceID: f.workspace("a"), Livemode: true}
	closed := make(chan string, 1)
	slow, _ := f.hub.Subscribe(&Conn{KeyID: "k", Close: func(code int, reason string) {
		closed <- fmt.Sprintf("%d %s", code, reason)
	}}, feed, nil)
	fast, _ := f.hub.Subscribe(conn("k"), feed, nil)
	for i := 0; i < 10; i++ {
		id := f.write(feed.WorkspaceID, true, "x")
		if got, _ := next(t, fast); got != id {
			t.Fatalf("fast subscriber: got %s, want %s", got, id)
		}
	}
	select {
	case got := <-closed:
		if want := "1013 subscriber too slow: more than 4 events waiting"; got != want {
			t.Fatalf("closed with %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("slow subscriber not closed")
	}
	n := 0
	for range slow.C() {
		n++
	}
	if n != 4 {
		t.Fatalf("slow subscriber had %d events buffered, want 4", n)
	}
}

// A revocation notification closes the key's connections with 4401.
func TestHubClosesRevokedKeys(t *testing.T) {
	f := newFixture(t, Options{})
	ws := f.workspace("a")
	if _, err := f.store.ExecContext(context.Background(), `INSERT INTO api_keys (workspace_id, id, name, prefix, hash, livemode, tier)
		VALUES ($1, 'key_1', 'k', 'pk_1', '\x01', true, 'standard')`, ws); err != nil {
		t.Fatal(err)
	}
	closed := make(chan string, 1)
	defer f.hub.Register(&Conn{KeyID: "key_1", Close: func(code int, reason string) { closed <- fmt.Sprintf("%d %s", code, reason) }})()
	if _, err := f.store.ExecContext(context.Background(), `UPDATE api_keys SET revoked_at = now() WHERE id = 'key_1'`); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-closed:
		if got != "4401 API key revoked" {
			t.Fatalf("closed with %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("revoked key's connection not closed within 5s")
	}
}
