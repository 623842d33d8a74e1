package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"pivotal/db"
	"pivotal/db/dbtest"
)

// SIGINT (Ctrl-C in a terminal) drains like SIGTERM: requests in flight when
// it arrives finish with their normal answer, and the process exits 0. Order,
// not time: the requests are seen blocked in PostgreSQL before the signal, the
// signal is seen handled before they are let go.
func TestSIGINTDrains(t *testing.T) {
	url := dbtest.NewDatabase(t)
	key := createKey(t, url)
	s := startServer(t, []string{"DATABASE_URL=" + url, "PIVOTAL_LOG_FORMAT=json"}, "--shutdown-grace", "60s")
	s.waitReady(t)
	store, err := db.Open(url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	lock, err := store.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`LOCK TABLE customers IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	const inFlight = 3
	type answer struct {
		status int
		err    error
	}
	answers := make(chan answer, inFlight)
	client := &http.Client{Timeout: 2 * time.Minute}
	for i := range inFlight {
		go func() {
			req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/v1/customers", strings.NewReader(fmt.Sprintf(`{"name":"Drained %d"}`, i)))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers <- answer{status: resp.StatusCode}
		}()
	}
	waitFor(t, "the requests to block on the lock", func() bool {
		var n int
		err := store.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
		return err == nil && n == inFlight
	})
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// The drain (readiness 503, Connection: close) comes first and may outlast
	// the statement timeout; the signal is handled once either is logged.
	waitFor(t, "the server to start draining", func() bool {
		return strings.Contains(s.logs(), `"msg":"draining`) || strings.Contains(s.logs(), `"msg":"shutting down`)
	})
	lock.Rollback()

	for range inFlight {
		if a := <-answers; a.err != nil || a.status != http.StatusCreated {
			t.Errorf("a request in flight at SIGINT got %d %v, want 201", a.status, a.err)
		}
	}
	if err := s.exit(t, time.Minute); err != nil {
		t.Errorf("exit after SIGINT: %v, want status 0\n%s", err, s.logs())
	}
	if !strings.Contains(s.logs(), `"msg":"stopped cleanly"`) {
		t.Errorf("no clean stop logged:\n%s", s.logs())
	}
	var n int
	if err := store.Get(&n, `SELECT count(*) FROM customers WHERE name LIKE 'Drained %'`); err != nil || n != inFlight {
		t.Errorf("%d customers written by the drained requests (%v), want %d", n, err, inFlight)
	}
}

// waitFor polls cond until it holds; the deadline only ends a wait that would
// never end.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}
