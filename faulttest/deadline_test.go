package faulttest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db"
	"pivotal/db/dbtest"
	"pivotal/httpapi"
	"pivotal/resolvers"
)

// A database that stops answering (here: a table lock held elsewhere) must not
// hold a request past its deadline: the deadline reaches the SQL, which is
// canceled, and the client gets a retryable 503. Order and outcome, not time:
// the lock is held until both answers are in, so an answer at all means the
// request gave up waiting, and no statement of the test's database may still
// be waiting for the lock afterwards.
func TestRequestDeadlineReachesSQL(t *testing.T) {
	url := dbtest.NewDatabase(t)
	store, err := db.Open(url, db.Options{}) // no statement timeout: only the request deadline
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	res := resolvers.New(store, slog.New(slog.NewJSONHandler(leaktest.Writer("deadline test server", nil), nil)))
	srv := httptest.NewServer(httpapi.New(res, res.Log, httpapi.Options{RequestTimeout: 500 * time.Millisecond}))
	t.Cleanup(srv.Close)
	k, err := res.OperatorCreateKey(context.Background(), "deadline", "k", false, "unlimited")
	if err != nil {
		t.Fatal(err)
	}
	leaktest.Key(k.Secret)

	lock, err := store.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`LOCK TABLE customers IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	// The client's timeout only ends a test that would hang.
	client := &http.Client{Timeout: time.Minute}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/customers", `{"name":"Blocked"}`},
		{"GET", "/api/v1/customers", ""},
	} {
		status, body, err := send(client, c.method, srv.URL+c.path, k.Secret, c.body)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if status != http.StatusServiceUnavailable {
			t.Errorf("%s %s: status %d, want 503; %s", c.method, c.path, status, body)
		}
	}
	// The canceled statements are gone from PostgreSQL, lock still held. A
	// cancel is asynchronous, so wait for the outcome; the deadline only ends
	// a wait that would never end.
	var name string
	if err := store.Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var waiting int
		if err := store.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, name); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements still wait for the lock after their requests were answered: the deadline did not reach the SQL", waiting)
		}
	}
	lock.Rollback()
	if status, body, _ := send(client, "GET", srv.URL+"/api/v1/customers", k.Secret, ""); status != http.StatusOK {
		t.Errorf("after the lock: %d %s", status, body)
	}
}

// The errors PostgreSQL and the driver really produce when the server goes
// away are classified Unavailable (503), not Unknown (500).
func TestConnectionErrorsAreUnavailable(t *testing.T) {
	url := dbtest.NewDatabase(t)
	store, err := db.Open(url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ctx := context.Background()

	// A backend terminated under an open connection (what a fast shutdown does).
	conn, err := store.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	var one int
	err = conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
	if err == nil {
		t.Fatal("a statement on a terminated backend succeeded")
	}
	if k := db.KindOf(err); k != db.Unavailable {
		t.Errorf("terminated backend: %v (%T) classified %v, want Unavailable", err, err, k)
	}

	// No server at all: the socket does not exist.
	gone, err := db.Open("host="+t.TempDir()+" port=5432 user=x dbname=x sslmode=disable", db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	err = gone.PingContext(ctx)
	if k := db.KindOf(err); err == nil || k != db.Unavailable {
		t.Errorf("no server: %v (%T) classified %v, want Unavailable", err, err, k)
	}
	// Nothing listening on a TCP port.
	tcp, err := db.Open("host=127.0.0.1 port=1 user=x dbname=x sslmode=disable connect_timeout=2", db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	err = tcp.PingContext(ctx)
	if k := db.KindOf(err); err == nil || k != db.Unavailable {
		t.Errorf("refused: %v (%T) classified %v, want Unavailable", err, err, k)
	}
}
