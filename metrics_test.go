package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db/dbtest"
	"pivotal/ratelimit/redistest"
)

// /metrics is served on the operator listener only, and shows the request,
// SQL, pool, rate-limit and idempotency metrics after some traffic (loader
// batches: resolvers/loaders_test.go).
func TestMetricsListener(t *testing.T) {
	url := dbtest.NewDatabase(t)
	key := createKey(t, url)
	redis := redistest.Start(t) // stopped halfway, to make the limiter fail open
	s := startServer(t, []string{"DATABASE_URL=" + url, "REDIS_URL=" + redis.URL, "PIVOTAL_LOG_FORMAT=json"}, "--metrics-addr", "127.0.0.1:0")
	s.waitReady(t)
	metricsAddr := metricsAddr(t, s)
	// A standard test key (30 a minute) to be refused once.
	limited := binCLI(t, []string{"DATABASE_URL=" + url}, "keys", "create", "--workspace", "metered", "--test")
	doAs := func(key, method, path, body string, headers ...string) int {
		req, _ := http.NewRequest(method, "http://"+s.addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		leaktest.Key(key)
		req.Header.Set("Content-Type", "application/json")
		for _, h := range headers {
			name, value, _ := strings.Cut(h, ": ")
			req.Header.Set(name, value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	do := func(method, path, body string, headers ...string) int {
		return doAs(key, method, path, body, headers...)
	}
	if st := do("POST", "/api/v1/customers", `{"name":"Metered"}`, "Idempotency-Key: m-1"); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if st := do("POST", "/api/v1/customers", `{"name":"Metered"}`, "Idempotency-Key: m-1"); st != 201 {
		t.Fatalf("replay: %d", st)
	}
	refused := 0
	for i := 0; i < 31; i++ {
		if doAs(limited, "GET", "/api/v1/me", "") == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d of 31 requests refused for a 30-a-minute key, want 1", refused)
	}
	// Redis goes away: the same spent key is let through, unmetered, and each
	// such request is counted as a fail-open.
	redis.Stop()
	for i := 0; i < 3; i++ {
		if st := doAs(limited, "GET", "/api/v1/me", ""); st != http.StatusOK {
			t.Fatalf("with Redis down, request %d of a spent key: %d, want 200 (fail open)", i+1, st)
		}
	}
	if !strings.Contains(s.logs(), "rate-limit store unavailable") {
		t.Errorf("the fail-open is not logged:\n%s", s.logs())
	}
	do("GET", "/api/v1/customers", "")
	do("POST", "/graphql", `{"query":"{ customers(first: 5) { edges { node { id } } } }"}`)
	if st := do("GET", "/metrics", ""); st != http.StatusNotFound {
		t.Errorf("/metrics on the API port: %d, want 404", st)
	}

	body := scrape(t, metricsAddr)
	for _, want := range []string{
		`pivotal_http_requests_total{method="POST",route="/api/v1/customers",status="201"} 2`,
		`pivotal_http_request_duration_seconds_bucket{method="GET",route="/api/v1/customers",status="200",le=`,
		`pivotal_http_requests_total{method="POST",route="/graphql",status="200"} 1`,
		`pivotal_sql_statements_total{outcome="ok"}`,
		`pivotal_sql_statement_duration_seconds_count`,
		`go_sql_open_connections{db_name="pivotal"}`,
		`go_sql_wait_count_total{db_name="pivotal"}`,
		`pivotal_rate_limit_rejections_total 1`,
		`pivotal_idempotent_replays_total 1`,
		`pivotal_rate_limit_fail_open_total 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// Logs are JSON when stderr is not a terminal (a file, a pipe).
func TestLogsAreJSONWhenNotATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Setenv("PIVOTAL_LOG_FORMAT", "")
	newLogger(f).Info("hello", "n", 1, "at", time.Unix(0, 0).UTC())
	b, _ := os.ReadFile(f.Name())
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["msg"] != "hello" || m["n"] != 1.0 || m["level"] != "INFO" {
		t.Errorf("log line %q is not the JSON record (%v)", b, err)
	}
}
