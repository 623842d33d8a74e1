package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pivotal/db/dbtest"
)

// syncBuffer is a bytes.Buffer the server's goroutines may write while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveDemo runs `pivotal serve --demo --addr addr` in-process until the API
// is ready, and returns what it printed and a function that stops it.
func serveDemo(t *testing.T, addr, probe string) (string, func()) {
	t.Helper()
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", addr}, &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	waitHTTP(t, "http://"+probe+"/api/health/deep")
	return out.String(), func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve: %v", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("serve did not stop")
		}
	}
}

func demoKeyOf(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(strings.TrimSpace(line), "test key: "); ok {
			return k
		}
	}
	t.Fatalf("no key in the demo's output:\n%s", out)
	return ""
}

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// --demo reuses one key across restarts, replaces it (revoking the old one)
// when its file is gone, and puts it in the GraphiQL page only on a loopback
// address, saying why otherwise.
func TestDemoKey(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo workspace")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	t.Setenv("DATABASE_URL", dbtest.NewDatabase(t))
	t.Setenv("PIVOTAL_DATA_DIR", dataDir)
	addr := freeAddr(t)

	out, stop := serveDemo(t, addr, addr)
	key := demoKeyOf(t, out)
	if _, page := get(t, "http://"+addr+"/graphiql", ""); !strings.Contains(page, "Bearer "+key) {
		t.Errorf("on 127.0.0.1 the page must carry the demo key:\n%s", page)
	}
	if st, body := get(t, "http://"+addr+"/api/v1/customers?limit=1", key); st != 200 || !strings.Contains(body, `"object":"customer"`) {
		t.Errorf("the demo key sees no demo data: %d %s", st, body)
	}
	if fi, err := os.Stat(filepath.Join(dataDir, demoKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("demo key file: %v, %v; want mode 0600", fi, err)
	}
	stop()

	out, stop = serveDemo(t, addr, addr)
	if again := demoKeyOf(t, out); again != key {
		t.Errorf("a restart made a new demo key %s; want %s again", again, key)
	}
	stop()

	if err := os.Remove(filepath.Join(dataDir, demoKeyFile)); err != nil {
		t.Fatal(err)
	}
	out, stop = serveDemo(t, addr, addr)
	fresh := demoKeyOf(t, out)
	if fresh == key {
		t.Fatal("without its file the demo key cannot be reused")
	}
	if st, body := get(t, "http://"+addr+"/api/v1/me", key); st != 401 || !strings.Contains(body, "api_key_revoked") {
		t.Errorf("the replaced demo key still works: %d %s", st, body)
	}
	stop()
	list, err := cli(t, nil, "keys", "list", "--workspace", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if live := strings.Count(list, "\n") - 1 - strings.Count(list, "Z\n"); live != 1 {
		t.Errorf("%d demo keys are not revoked, want 1:\n%s", live, list)
	}

	// Every interface: the page is public there, so the key stays out of it.
	port := addr[strings.LastIndex(addr, ":"):]
	out, stop = serveDemo(t, "0.0.0.0"+port, addr)
	defer stop()
	if demoKeyOf(t, out) != fresh || !strings.Contains(out, "The key is not in the GraphiQL page: the server listens on 0.0.0.0"+port+", which is not a loopback") {
		t.Errorf("--demo on 0.0.0.0 must say why the key is not in the page:\n%s", out)
	}
	if _, page := get(t, "http://"+addr+"/graphiql", ""); strings.Contains(page, fresh) || !strings.Contains(page, `"headers":null`) {
		t.Errorf("on 0.0.0.0 the page carries the key:\n%s", page)
	}
}
