package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db/dbtest"
)

// TestMain runs the tests, removes the built binary, then searches every log
// of the run — the server processes', the commands', the in-process ones' —
// for every key the tests used (auth/leaktest).
func TestMain(m *testing.M) {
	code := dbtest.Run(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(leaktest.Check(code))
}

// cli runs the binary's entry point in-process and returns its stdout.
func cli(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out bytes.Buffer
	leaktest.Key(args...)
	err := run(context.Background(), args, &out, slog.New(slog.NewTextHandler(leaktest.Writer("pivotal "+args[0]+" (in process)", nil), nil)))
	leaktest.KeysIn(out.String())
	return out.String(), err
}

func TestKeysCommands(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.NewDatabase(t)}
	key, err := cli(t, env, "keys", "create", "--workspace", "acme", "--name", "CRM sync", "--tier", "paid")
	if err != nil {
		t.Fatal(err)
	}
	key = strings.TrimSuffix(key, "\n")
	if !strings.HasPrefix(key, "pivotal_") || strings.HasPrefix(key, "pivotal_test_") || len(key) != 40 || strings.ContainsAny(key, " \n") {
		t.Fatalf("keys create must print only the live key, got %q", key)
	}
	test, err := cli(t, env, "keys", "create", "--workspace", "acme", "--test")
	if err != nil || !strings.HasPrefix(test, "pivotal_test_") {
		t.Fatalf("test key %q, %v", test, err)
	}
	list, err := cli(t, env, "keys", "list", "--workspace", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, key[:16]) || !strings.Contains(list, "CRM sync") || !strings.Contains(list, "paid") || strings.Contains(list, key) {
		t.Fatalf("list shows prefixes and never secrets:\n%s", list)
	}
	if out, err := cli(t, env, "keys", "revoke", key[:16]); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke by prefix: %q %v", out, err)
	}
	list, err = cli(t, env, "keys", "list", "--workspace", "acme")
	if err != nil {
		t.Fatalf("keys list after revoke: %v", err)
	}
	var revokedLine string
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, key[:16]) {
			revokedLine = line
		}
	}
	// The last column is the revocation time: a timestamp, not "-".
	if f := strings.Fields(revokedLine); len(f) == 0 || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT`).MatchString(f[len(f)-1]) {
		t.Fatalf("the revoked key %s shows no revocation time:\n%s", key[:16], list)
	}
	if _, err := cli(t, env, "keys", "revoke", "pivotal_nopenope"); err == nil || !strings.Contains(err.Error(), "No such api key") {
		t.Fatalf("revoking an unknown key: %v", err)
	}
	if _, err := cli(t, env, "keys", "create", "--workspace", "acme", "--tier", "gold"); err == nil {
		t.Fatal("an unknown tier must be refused")
	}
	if _, err := cli(t, env, "keys", "create"); err == nil {
		t.Fatal("--workspace is required")
	}
	if _, err := cli(t, env, "keys", "list", "--workspace", "nope"); err == nil {
		t.Fatal("listing an unknown workspace must fail")
	}
	if _, err := cli(t, env, "migrate"); err != nil {
		t.Fatalf("migrate on a migrated database: %v", err)
	}
	if _, err := cli(t, env, "frobnicate"); err == nil {
		t.Fatal("unknown command")
	}
}

// TestServeEmbedded runs `pivotal serve --demo` with no DATABASE_URL: it must
// start its own cluster in the data directory, serve, stop the cluster on exit,
// and reuse the directory on the next start.
func TestServeEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a durable PostgreSQL cluster")
	}
	dir, err := os.MkdirTemp("", "pivotal-serve-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("DATABASE_URL", "")
	t.Setenv("PIVOTAL_DATA_DIR", filepath.Join(dir, "data"))

	for round := 0; round < 2; round++ {
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", addr, "--demo"}, io.Discard, slog.New(slog.NewTextHandler(leaktest.Writer("serve --demo (in process)", nil), nil)))
		}()
		waitHTTP(t, "http://"+addr+"/api/health/deep")
		resp, err := http.Get("http://" + addr + "/api/v1/health")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("health: %v %v", resp, err)
		}
		resp.Body.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
		if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); !os.IsNotExist(err) {
			t.Fatalf("round %d: PostgreSQL still running after serve returned (postmaster.pid: %v)", round, err)
		}
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
}
