package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db"
)

// The reference queries of issue 4 and bench/run.sh, verbatim.
const (
	q2 = `{ customers(first: 100) { pageInfo { hasNextPage endCursor } nodes { id displayId name slug status contacts(first: 10) { nodes { id name email isPrimary } } onboardings(first: 10) { nodes { id displayId phase state targetLaunchDate } } } } }`
	q3 = `{ customers(first: 100) { pageInfo { hasNextPage endCursor } nodes { id displayId name slug status contacts(first: 10) { nodes { id name email isPrimary onboardings(first: 5) { nodes { id phase state } } } } onboardings(first: 10) { nodes { id displayId phase state targetLaunchDate } } } } }`
	// qOnboardingCustomer and qContactCustomer load a parent under a list.
	qOnboardingCustomer = `{ onboardings(first: 50) { nodes { id customer { id } } } }`
	qContactCustomer    = `{ customers(first: 100) { nodes { id contacts(first: 10) { nodes { id customer { id } } } } } }`
)

// seed fills workspace ws with n customers of 5 contacts and 3 onboardings.
func seed(t testing.TB, e *env, ws string, n int) {
	t.Helper()
	ctx := context.Background()
	w, err := db.FindWorkspaceBySlug(ctx, e.store, ws)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Seed(ctx, e.store, w.ID, db.SeedSpec{Customers: n, ContactsPer: 5, OnboardingsPer: 3, Actor: "API: seed"}); err != nil {
		t.Fatal(err)
	}
}

// warmKey uses key once and waits until its use is recorded, so that no
// background touch of last_used_at lands in a later request's count.
func warmKey(t testing.TB, e *env, ws, key string) {
	t.Helper()
	e.gql(key, `{ __typename }`, nil).expect(t, 200, "")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ks, err := e.res.OperatorListKeys(context.Background(), ws)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			if strings.HasPrefix(key, k.Prefix) && k.LastUsedAt != nil {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("key use never recorded")
}

// serveCounting serves one request through h in-process and returns the
// response and the number of SQL statements it ran, counted by the driver.
func serveCounting(t testing.TB, h http.Handler, key, method, path, body string) (response, int64) {
	t.Helper()
	return serveCountingInto(t, h, key, method, path, body, new(bytes.Buffer))
}

// serveCountingInto is serveCounting writing the body into buf (emptied
// first): a benchmark reuses one buffer, so that its figures are the server's
// work and not the recorder's growing a new 100 KB buffer per request.
func serveCountingInto(t testing.TB, h http.Handler, key, method, path, body string, buf *bytes.Buffer) (response, int64) {
	t.Helper()
	buf.Reset()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+key)
	leaktest.Key(key)
	ctx, stats := db.WithStats(context.Background())
	rec := &httptest.ResponseRecorder{HeaderMap: make(http.Header), Body: buf, Code: http.StatusOK}
	h.ServeHTTP(rec, req.WithContext(ctx))
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}, stats.Statements()
}

func gqlBody(query string) string {
	b, _ := json.Marshal(map[string]string{"query": query})
	return string(b)
}

// countGQL runs query through the server's handler, counting statements.
func (e *env) countGQL(key, query string) (response, int64) {
	return serveCounting(e.t, e.srv.Config.Handler, key, "POST", "/graphql", gqlBody(query))
}

// path walks decoded JSON objects by key.
func (r response) path(t testing.TB, keys ...string) any {
	t.Helper()
	var v any = r.json(t)
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: no object at %q in %s", strings.Join(keys, "."), k, r.Body)
		}
		v = m[k]
	}
	return v
}

func list(v any, keys ...string) []any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	l, _ := v.([]any)
	return l
}

// TestNestedLoadsConstantStatements proves the loaders batch: each query runs
// at most 4 statements including authentication, and the same number for 3
// customers as for 30.
func TestNestedLoadsConstantStatements(t *testing.T) {
	cases := []struct {
		name, query string
		check       func(t *testing.T, r response, customers int)
	}{
		{"Q2", q2, func(t *testing.T, r response, n int) {
			nodes := list(r.path(t, "data", "customers"), "nodes")
			if len(nodes) != n {
				t.Fatalf("%d customers, want %d", len(nodes), n)
			}
			for _, c := range nodes {
				contacts, onboardings := list(c, "contacts", "nodes"), list(c, "onboardings", "nodes")
				primaries := 0
				for _, k := range contacts {
					if k.(map[string]any)["isPrimary"] == true {
						primaries++
					}
				}
				if len(contacts) != 5 || len(onboardings) != 3 || primaries != 1 {
					t.Fatalf("customer %v: %d contacts (%d primary), %d onboardings", c, len(contacts), primaries, len(onboardings))
				}
			}
		}},
		{"Q3", q3, func(t *testing.T, r response, n int) {
			nodes := list(r.path(t, "data", "customers"), "nodes")
			if len(nodes) != n {
				t.Fatalf("%d customers, want %d", len(nodes), n)
			}
			for _, c := range nodes {
				for _, k := range list(c, "contacts", "nodes") {
					if got := len(list(k, "onboardings", "nodes")); got != 3 {
						t.Fatalf("contact %v: %d onboardings, want its customer's 3", k, got)
					}
				}
			}
		}},
		{"Onboarding.customer", qOnboardingCustomer, func(t *testing.T, r response, n int) {
			nodes := list(r.path(t, "data", "onboardings"), "nodes")
			if len(nodes) != min(50, 3*n) {
				t.Fatalf("%d onboardings, want %d", len(nodes), min(50, 3*n))
			}
			for _, o := range nodes {
				if id, _ := o.(map[string]any)["customer"].(map[string]any)["id"].(string); !cuidRE.MatchString(id) {
					t.Fatalf("onboarding %v has no customer", o)
				}
			}
		}},
		{"Contact.customer", qContactCustomer, func(t *testing.T, r response, n int) {
			nodes := list(r.path(t, "data", "customers"), "nodes")
			if len(nodes) != n {
				t.Fatalf("%d customers, want %d", len(nodes), n)
			}
			for _, c := range nodes {
				for _, k := range list(c, "contacts", "nodes") {
					if got := k.(map[string]any)["customer"].(map[string]any)["id"]; got != c.(map[string]any)["id"] {
						t.Fatalf("contact %v of customer %v", k, c)
					}
				}
			}
		}},
	}
	counts := map[string]map[int]int64{}
	for _, n := range []int{3, 30} {
		e := newEnv(t)
		key := e.key("acme", "unlimited")
		seed(t, e, "acme", n)
		warmKey(t, e, "acme", key)
		// Both ways of answering: the read plan (one statement per level) and
		// the executor with its batched loaders, which serves everything else.
		executor := New(e.res, slog.New(slog.NewJSONHandler(logSink, nil)), Options{DisableFastPath: true})
		for _, c := range cases {
			for _, mode := range []struct {
				name string
				h    http.Handler
			}{{"fast path", e.srv.Config.Handler}, {"executor", executor}} {
				r, stmts := serveCounting(t, mode.h, key, "POST", "/graphql", gqlBody(c.query))
				name := c.name + " (" + mode.name + ")"
				if r.Status != 200 || bytes.Contains(r.Body, []byte(`"errors"`)) {
					t.Errorf("%s with %d customers: %d %.500s", name, n, r.Status, r.Body)
					continue
				}
				t.Run(name, func(t *testing.T) { c.check(t, r, n) })
				// Authentication and one statement per level: Q3 has four
				// (customers, their contacts and onboardings, the contacts'
				// onboardings); the executor batches Q3's two onboardings
				// levels into one.
				if limit := int64(4 + strings.Count(c.name, "Q3")); stmts > limit {
					t.Errorf("%s with %d customers ran %d SQL statements, want at most %d (N+1?)", name, n, stmts, limit)
				}
				if counts[name] == nil {
					counts[name] = map[int]int64{}
				}
				counts[name][n] = stmts
			}
		}
	}
	for name, byN := range counts {
		if byN[3] != byN[30] {
			t.Errorf("%s: %d statements for 3 customers, %d for 30: the count grows with the page", name, byN[3], byN[30])
		}
	}
}

// benchEnv is a server over the benchmark's data set: 1,000 customers with 5
// contacts and 3 onboardings each.
func benchEnv(b *testing.B) (*env, string) {
	e := newEnv(b)
	key := e.key("bench", "unlimited")
	seed(b, e, "bench", 1000)
	warmKey(b, e, "bench", key)
	return e, key
}

// benchRequests serves the request b.N times in sequence and reports, besides
// time and allocations, the process's CPU time and SQL statements per request,
// and the peak number of goroutines alive during a request beyond those alive
// before. Goroutines are sampled in a separate pass after the timed one, so
// the sampler's own CPU is not counted as the requests'.
func benchRequests(b *testing.B, e *env, key, method, path, body string) {
	h := e.srv.Config.Handler
	r, _ := serveCounting(b, h, key, method, path, body)
	if r.Status != 200 || bytes.Contains(r.Body, []byte(`"errors"`)) {
		b.Fatalf("%s %s: %d %.500s", method, path, r.Status, r.Body)
	}
	runtime.GC()
	var stmts int64
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		r, n := serveCountingInto(b, h, key, method, path, body, &buf)
		if r.Status != 200 {
			b.Fatalf("%s %s: %d %.500s", method, path, r.Status, r.Body)
		}
		stmts += n
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	// CPU time of this process (PostgreSQL is another) per request: unlike
	// ns/op it does not depend on how busy the machine is.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peakGoroutines(func() { serveCounting(b, h, key, method, path, body) }, 20)), "goroutines/op")
	b.ReportMetric(float64(stmts)/float64(b.N), "sql/op")
	b.ReportMetric(float64(len(r.Body)), "resp-bytes")
}

// peakGoroutines runs serve n times while a sampler watches, and returns the
// most goroutines seen alive beyond those alive before (the sampler not counted).
func peakGoroutines(serve func(), n int) int64 {
	runtime.GC()
	base := runtime.NumGoroutine()
	var peak atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if g := int64(runtime.NumGoroutine()); g > peak.Load() {
				peak.Store(g)
			}
			time.Sleep(20 * time.Microsecond)
		}
	}()
	for range n {
		serve()
	}
	close(stop)
	<-done
	return max(peak.Load()-int64(base)-1, 0)
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkQ2(b *testing.B) {
	e, key := benchEnv(b)
	benchRequests(b, e, key, "POST", "/graphql", gqlBody(q2))
}

func BenchmarkQ3(b *testing.B) {
	e, key := benchEnv(b)
	benchRequests(b, e, key, "POST", "/graphql", gqlBody(q3))
}

func BenchmarkR1(b *testing.B) {
	e, key := benchEnv(b)
	benchRequests(b, e, key, "GET", "/api/v1/customers?limit=100", "")
}
