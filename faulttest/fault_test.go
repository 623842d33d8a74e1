// Package faulttest stops and restarts the PostgreSQL server under load. It is
// a package of its own because that takes the test binary's whole cluster away:
// no other test may share it.
package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db"
	"pivotal/db/dbtest"
	"pivotal/httpapi"
	"pivotal/resolvers"
)

// TestMain also searches the run's logs for the tests' keys (auth/leaktest).
func TestMain(m *testing.M) { os.Exit(leaktest.Check(dbtest.Run(m))) }

// requestTimeout is the server's per-request deadline in this test; no request
// may take much longer, database or not.
const requestTimeout = 3 * time.Second

// outcome is what one request of the load got.
type outcome struct {
	kind   string // "rest" or "graphql"
	name   string // the customer a write tried to create
	status int
	code   string // error code of a failure (REST code or GraphQL extensions.code)
	took   time.Duration
	phase  string // before, outage, after
	err    error  // transport error
}

func TestDatabaseLostAndRestartedUnderLoad(t *testing.T) {
	cluster := dbtest.Cluster()
	if cluster == nil {
		t.Skip("DATABASE_URL is set: the test cannot stop a server it did not start")
	}
	url := dbtest.NewDatabase(t)
	store, err := db.Open(url, db.Options{MaxOpenConns: 10, StatementTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewJSONHandler(leaktest.Writer("fault test server", lockedWriter{&logs, &logMu}), nil))
	res := resolvers.New(store, log)
	srv := httptest.NewServer(httpapi.New(res, log, httpapi.Options{RequestTimeout: requestTimeout}))
	t.Cleanup(srv.Close)
	k, err := res.OperatorCreateKey(context.Background(), "fault", "fault", false, "unlimited")
	if err != nil {
		t.Fatal(err)
	}
	// A request that hangs is reported as too slow (below), not cut by the client.
	leaktest.Key(k.Secret)
	client := &http.Client{Timeout: 10 * requestTimeout}

	var phase atomic.Value
	phase.Store("before")
	var (
		mu       sync.Mutex
		outcomes []outcome
		seq      atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	record := func(o outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}
	worker := func(kind string) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("fault-%s-%d", kind, seq.Add(1))
			o := outcome{kind: kind, name: name, phase: phase.Load().(string)}
			start := time.Now()
			switch kind {
			case "rest":
				o.status, o.code, o.err = restCreate(client, srv.URL, k.Secret, name)
			case "graphql":
				o.status, o.code, o.err = gqlCreate(client, srv.URL, k.Secret, name)
			case "read":
				o.name = ""
				o.status, o.code, o.err = restList(client, srv.URL, k.Secret)
			}
			o.took = time.Since(start)
			record(o)
			time.Sleep(5 * time.Millisecond) // a light load
		}
	}
	for _, kind := range []string{"rest", "rest", "graphql", "read"} {
		wg.Add(1)
		go worker(kind)
	}

	time.Sleep(time.Second)
	phase.Store("outage")
	if err := cluster.Stop(); err != nil {
		t.Fatalf("stopping the cluster: %v", err)
	}
	t.Logf("cluster stopped")
	time.Sleep(2 * time.Second)
	deep := get(t, client, srv.URL+"/api/health/deep")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dbtest.StartAgain(ctx); err != nil {
		t.Fatalf("restarting the cluster: %v", err)
	}
	t.Logf("cluster restarted")
	phase.Store("after")
	// Recovery: every kind of request succeeds again, on its own. The deadline
	// only ends a wait that would never end (a loaded machine takes seconds).
	deadline := time.Now().Add(time.Minute)
	for !recovered(&mu, &outcomes) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	if deep != http.StatusServiceUnavailable {
		t.Errorf("deep health during the outage: %d, want 503", deep)
	}
	if s := get(t, client, srv.URL+"/api/health/deep"); s != http.StatusOK {
		t.Errorf("deep health after the restart: %d, want 200", s)
	}
	if !recovered(&mu, &outcomes) {
		t.Errorf("no recovery: not every kind of request succeeded after the restart")
	}

	// Every answer is a success or a 503, in time; count them.
	counts := map[string]map[string]int{}
	var acked []string
	var slowest time.Duration
	for _, o := range outcomes {
		if counts[o.phase] == nil {
			counts[o.phase] = map[string]int{}
		}
		slowest = max(slowest, o.took)
		switch {
		case o.err != nil:
			t.Errorf("%s %s (%s): transport error after %v: %v", o.kind, o.name, o.phase, o.took, o.err)
		case o.status < 300 && o.code == "":
			counts[o.phase]["2xx"]++
			if o.name != "" {
				acked = append(acked, o.name)
			}
		case o.status == http.StatusServiceUnavailable || o.status == http.StatusOK && o.code == "SERVICE_UNAVAILABLE":
			counts[o.phase]["503 "+o.code]++
		default:
			t.Errorf("%s %s (%s): status %d code %q — want 2xx or 503", o.kind, o.name, o.phase, o.status, o.code)
		}
		// The deadline bounds every request. The margin is the deadline again:
		// a loaded 2-core machine under -race is slow to answer, but a request
		// the deadline did not reach would wait for the whole outage or hang.
		if o.took > 2*requestTimeout {
			t.Errorf("%s %s (%s) took %v, past the request deadline %v", o.kind, o.name, o.phase, o.took, requestTimeout)
		}
	}
	t.Logf("requests: %d; slowest %v; by phase: %v", len(outcomes), slowest, counts)
	outage := 0
	for k, n := range counts["outage"] {
		if strings.HasPrefix(k, "503") {
			outage += n
		}
	}
	if outage == 0 {
		t.Errorf("no request got a 503 during the outage: %v", counts["outage"])
	}

	// Every acknowledged write is in the database.
	var found []string
	if err := store.SelectContext(context.Background(), &found,
		`SELECT name FROM customers WHERE name = ANY($1)`, stringArray(acked)); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range found {
		have[n] = true
	}
	for _, n := range acked {
		if !have[n] {
			t.Errorf("customer %s was acknowledged (2xx) but is not in the database", n)
		}
	}
	t.Logf("acknowledged writes: %d, all %d found in the database", len(acked), len(found))

	// No failure was unclassified: an "internal error" log line means an error
	// the server did not recognize as the database being away.
	logMu.Lock()
	defer logMu.Unlock()
	seen := map[string]bool{}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"internal error"`) || strings.Contains(line, `"msg":"panic`) {
			t.Errorf("unclassified failure logged: %s", line)
		}
		var l struct{ Msg, Err string }
		if json.Unmarshal([]byte(line), &l) == nil && strings.HasPrefix(l.Msg, "database unavailable") {
			seen[l.Err] = true
		}
	}
	if len(seen) == 0 {
		t.Errorf("the outage was never logged as the database being unavailable")
	}
	for e := range seen {
		t.Logf("classified Unavailable: %s", e)
	}
	if t.Failed() {
		os.WriteFile(filepath.Join(t.TempDir(), "server.log"), logs.Bytes(), 0o644)
	}
}

// recovered reports whether every kind of request has succeeded after the restart.
func recovered(mu *sync.Mutex, outcomes *[]outcome) bool {
	mu.Lock()
	defer mu.Unlock()
	ok := map[string]bool{}
	for _, o := range *outcomes {
		if o.phase == "after" && o.err == nil && o.status < 300 && o.code == "" {
			ok[o.kind] = true
		}
	}
	return ok["rest"] && ok["graphql"] && ok["read"]
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func stringArray(s []string) string {
	b, _ := json.Marshal(s)
	return "{" + strings.Trim(string(b), "[]") + "}"
}

func get(t *testing.T, c *http.Client, url string) int {
	resp, err := c.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func send(c *http.Client, method, url, key, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		err = fmt.Errorf("503 without Retry-After: %s", b)
	}
	return resp.StatusCode, b, err
}

func restCreate(c *http.Client, base, key, name string) (int, string, error) {
	status, b, err := send(c, "POST", base+"/api/v1/customers", key, fmt.Sprintf(`{"name":%q}`, name))
	if err != nil || status < 300 {
		return status, "", err
	}
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(b, &e)
	return status, e.Error.Code, nil
}

func restList(c *http.Client, base, key string) (int, string, error) {
	status, b, err := send(c, "GET", base+"/api/v1/customers?limit=5", key, "")
	if err != nil || status < 300 {
		return status, "", err
	}
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(b, &e)
	return status, e.Error.Code, nil
}

// gqlCreate returns the GraphQL extensions.code of the first error, if any.
func gqlCreate(c *http.Client, base, key, name string) (int, string, error) {
	q, _ := json.Marshal(map[string]any{
		"query":     `mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id } } }`,
		"variables": map[string]any{"n": name},
	})
	status, b, err := send(c, "POST", base+"/graphql", key, string(q))
	if err != nil {
		return status, "", err
	}
	var r struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return status, "", fmt.Errorf("not JSON: %s", b)
	}
	if len(r.Errors) > 0 {
		return status, r.Errors[0].Extensions.Code, nil
	}
	return status, "", nil
}
