package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db/dbtest"
	"pivotal/ratelimit/redistest"
)

// instance is one of several `pivotal serve` processes sharing a database.
type instance struct {
	name string
	url  string
}

// startInstance runs `pivotal serve` (startServer) and waits until it serves
// the API; when the test ends it must exit cleanly on SIGTERM.
func startInstance(t *testing.T, name string, env []string) *instance {
	t.Helper()
	s := startServer(t, append(env, "PIVOTAL_LOG_FORMAT=json"))
	s.waitReady(t)
	t.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		// A clean exit: in-flight requests drained, the janitor stopped.
		if err := s.exit(t, 20*time.Second); err != nil {
			t.Errorf("%s exited with %v after SIGTERM", name, err)
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, s.logs())
		}
	})
	return &instance{name: name, url: "http://" + s.addr}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (in *instance) do(t *testing.T, method, path, key, body string, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, in.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	leaktest.Key(key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", in.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// binCLI runs a subcommand of the built binary and returns its stdout.
func binCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = leaktest.Writer("pivotal "+args[0]+" (process)", &stderr)
	leaktest.Key(args...)
	out, err := cmd.Output()
	leaktest.KeysIn(string(out))
	if err != nil {
		t.Fatalf("pivotal %v: %v\n%s", args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// TestTwoInstances runs two server processes on one database and shows that
// they behave as one for what lives in PostgreSQL: revocation and idempotency.
// It needs no Redis (the rate limit across instances: TestTwoInstancesRateLimit).
func TestTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	env := []string{"DATABASE_URL=" + dbtest.NewDatabase(t)}
	newKey := func(name string) string {
		return binCLI(t, env, "keys", "create", "--workspace", "acme", "--name", name)
	}
	revoked, idem := newKey("revoked"), newKey("idempotent")
	a := startInstance(t, "A", env)
	b := startInstance(t, "B", env)

	// Revocation through the CLI: the next request on either instance is refused.
	for _, in := range []*instance{a, b} {
		if r := in.do(t, "GET", "/api/v1/me", revoked, ""); r.status != 200 {
			t.Fatalf("%s before revoke: %d %s", in.name, r.status, r.body)
		}
	}
	t.Log(binCLI(t, env, "keys", "revoke", revoked))
	for _, in := range []*instance{b, a} {
		r := in.do(t, "GET", "/api/v1/me", revoked, "")
		if r.status != 401 || !strings.Contains(r.body, `"code":"api_key_revoked"`) {
			t.Fatalf("%s after revoke: %d %s", in.name, r.status, r.body)
		}
	}
	// Revocation through GraphQL on A: B refuses the key on its next request.
	viaGraphQL := newKey("revoked-via-graphql")
	if r := b.do(t, "GET", "/api/v1/me", viaGraphQL, ""); r.status != 200 {
		t.Fatalf("B before revoke: %d %s", r.status, r.body)
	}
	prefix := viaGraphQL[:len("pivotal_")+8]
	rv := a.do(t, "POST", "/graphql", idem, fmt.Sprintf(`{"query":"mutation { revokeApiKey(id: \"%s\") { apiKey { prefix revokedAt } } }"}`, prefix))
	if rv.status != 200 || !strings.Contains(rv.body, `"prefix":"`+prefix+`"`) {
		t.Fatalf("revokeApiKey on A: %d %s", rv.status, rv.body)
	}
	if r := b.do(t, "GET", "/api/v1/me", viaGraphQL, ""); r.status != 401 || !strings.Contains(r.body, `"code":"api_key_revoked"`) {
		t.Fatalf("B after revoke on A: %d %s", r.status, r.body)
	}
	t.Log("revoked keys (CLI, and GraphQL revokeApiKey on A): refused by A and B on their next request (401 api_key_revoked)")

	// An idempotency key used on A replays on B.
	first := a.do(t, "POST", "/api/v1/customers", idem, `{"name":"Shared"}`, "Idempotency-Key: across")
	again := b.do(t, "POST", "/api/v1/customers", idem, `{"name":"Shared"}`, "Idempotency-Key: across")
	if first.status != 201 || again.status != 201 || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("A: %d %s\nB: %d %v %s", first.status, first.body, again.status, again.header, again.body)
	}
	if r := b.do(t, "POST", "/api/v1/customers", idem, `{"name":"Other"}`, "Idempotency-Key: across"); r.status != 409 {
		t.Fatalf("B, other body: %d %s", r.status, r.body)
	}
	t.Log("idempotency key used on A: B replays it byte for byte (201, Idempotent-Replayed: true)")

	// 20 concurrent identical POSTs with one key, split over A and B: one write.
	var wg sync.WaitGroup
	statuses := make([]reply, 20)
	for i := range statuses {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i] = []*instance{a, b}[i%2].do(t, "POST", "/api/v1/customers", idem, `{"name":"Racer"}`, "Idempotency-Key: race")
		}(i)
	}
	wg.Wait()
	counts := map[string]int{}
	for _, r := range statuses {
		switch {
		case r.status == 201 && r.header.Get("Idempotent-Replayed") == "true":
			counts["replayed"]++
		case r.status == 201:
			counts["created"]++
		case r.status == 409 && strings.Contains(r.body, "idempotency_key_in_use"):
			counts["in_use"]++
		default:
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	list := a.do(t, "GET", "/api/v1/customers?slug=racer", idem, "")
	if counts["created"] != 1 || strings.Count(list.body, `"object":"customer"`) != 1 {
		t.Fatalf("concurrent across instances: %v; list %s", counts, list.body)
	}
	t.Logf("20 concurrent POSTs, one key, over A and B: created %d, replayed %d, in use %d; 1 row",
		counts["created"], counts["replayed"], counts["in_use"])
}

// TestTwoInstancesRateLimit runs two server processes on one database and one
// Redis: a key's rate limit is one budget across both.
func TestTwoInstancesRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	redis := redistest.Start(t)
	env := []string{"DATABASE_URL=" + dbtest.NewDatabase(t), "REDIS_URL=" + redis.URL}
	limited := binCLI(t, env, "keys", "create", "--workspace", "acme", "--name", "limited")
	a := startInstance(t, "A", env)
	b := startInstance(t, "B", env)

	// A standard live key gets 60 requests a minute across both, not 120.
	ok, refused := map[string]int{}, map[string]int{}
	for i := 0; i < 120; i++ {
		in := []*instance{a, b}[i%2]
		r := in.do(t, "GET", "/api/v1/me", limited, "")
		switch r.status {
		case 200:
			ok[in.name]++
			if want := fmt.Sprint(60 - (ok["A"] + ok["B"])); r.header.Get("X-RateLimit-Remaining") != want {
				t.Fatalf("request %d on %s: remaining %q, want %s", i+1, in.name, r.header.Get("X-RateLimit-Remaining"), want)
			}
		case 429:
			refused[in.name]++
			if r.header.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After")
			}
			if ok["A"]+ok["B"] != 60 {
				t.Fatalf("refused after %d requests", ok["A"]+ok["B"])
			}
		default:
			t.Fatalf("%s: %d %s", in.name, r.status, r.body)
		}
	}
	t.Logf("standard live key, 120 requests alternating A/B: allowed A=%d B=%d (total %d), refused A=%d B=%d",
		ok["A"], ok["B"], ok["A"]+ok["B"], refused["A"], refused["B"])
	if ok["A"]+ok["B"] != 60 {
		t.Fatalf("%d requests allowed across both instances, want 60", ok["A"]+ok["B"])
	}
}
