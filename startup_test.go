package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/localpg"
)

// Started while its database is not there yet, the server listens at once,
// is alive (health 200) but not ready (deep health 503), answers the API with
// 503 in each surface's shape, and serves normally once the database appears.
func TestStartsBeforeTheDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("initdb takes seconds")
	}
	if _, err := localpg.FindPostgresBin(); err != nil {
		t.Skip(err)
	}
	base, err := os.MkdirTemp("", "pivotal-late-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	if err := os.Chmod(base, 0o755); err != nil { // the postgres user must reach it when we are root
		t.Fatal(err)
	}
	dir := filepath.Join(base, "pg")
	superuser := "postgres"
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		superuser = u.Username
	}
	// The URL the cluster will have once it runs (its socket lives in its directory).
	url := "host=" + dir + " port=5432 user=" + superuser + " dbname=postgres sslmode=disable"

	s := startServer(t, []string{"DATABASE_URL=" + url, "PIVOTAL_LOG_FORMAT=json"})
	get := func(method, path, body string) (int, http.Header, string) {
		req, _ := http.NewRequest(method, "http://"+s.addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer pivotal_"+strings.Repeat("A", 32))
		leaktest.BearerKey(req.Header.Get("Authorization"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	if st, _, b := get("GET", "/api/v1/health", ""); st != 200 {
		t.Errorf("health while the database is missing: %d %s", st, b)
	}
	if st, h, b := get("GET", "/api/health/deep", ""); st != 503 || h.Get("Retry-After") == "" {
		t.Errorf("deep health while the database is missing: %d %s", st, b)
	}
	st, h, b := get("GET", "/api/v1/customers", "")
	if st != 503 || h.Get("Retry-After") == "" || !strings.Contains(b, `"code":"service_unavailable"`) || !strings.Contains(b, `"type":"internal_error"`) {
		t.Errorf("REST while the database is missing: %d %v %s", st, h, b)
	}
	st, h, b = get("POST", "/graphql", `{"query":"{ me { workspace { slug } } }"}`)
	var gql struct {
		Errors []struct{ Extensions map[string]any }
	}
	json.Unmarshal([]byte(b), &gql)
	if st != 503 || h.Get("Retry-After") == "" || len(gql.Errors) != 1 || gql.Errors[0].Extensions["code"] != "SERVICE_UNAVAILABLE" {
		t.Errorf("GraphQL while the database is missing: %d %s", st, b)
	}
	if !strings.Contains(s.logs(), "database unreachable; retrying") {
		t.Errorf("the wait is not logged:\n%s", s.logs())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, err := localpg.StartThrowawayCluster(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	if cluster.URL("postgres") != url {
		t.Fatalf("the cluster's URL is %s, not the one the server waits for (%s)", cluster.URL("postgres"), url)
	}
	s.waitReady(t)
	key := createKey(t, url)
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/v1/customers", strings.NewReader(`{"name":"Late"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("create once the database is up: %d", resp.StatusCode)
	}
	if !strings.Contains(s.logs(), "database ready; serving the API") {
		t.Errorf("readiness is not logged")
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.exit(t, 30*time.Second); err != nil {
		t.Errorf("exit: %v\n%s", err, s.logs())
	}
}
