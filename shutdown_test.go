package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"pivotal/auth/leaktest"
	"pivotal/db"
	"pivotal/db/dbtest"
	"pivotal/localpg"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// binary builds the pivotal command once per test run, for every test of this
// package that runs it as a process; TestMain removes it.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pivotal-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir, binPath = dir, filepath.Join(dir, "pivotal")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// server is a running `pivotal serve` process.
type server struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

// startServer runs `pivotal serve` on a free port with env, and waits until
// it logs its address.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	leaktest.Source("pivotal serve (process)", s.logs)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
				addr <- l.Addr
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	select {
	case s.addr = <-addr:
	case <-time.After(time.Minute):
		t.Fatalf("the server did not start:\n%s", s.logs())
	}
	return s
}

func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// waitReady polls the deep health check until the database is up.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + s.addr + "/api/health/deep"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server never became ready:\n%s", s.logs())
}

// exit waits for the process and returns its error (nil: status 0).
func (s *server) exit(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(within):
		t.Fatalf("the server did not exit within %v:\n%s", within, s.logs())
		return nil
	}
}

// call is one request of the load and what became of it.
type call struct {
	id     string
	status int
	err    error
}

// SIGTERM under load: requests the server accepted all finish with their
// normal answer (none fails, none is a 5xx) — including ones blocked in the
// database when the signal came — and the process exits 0.
func TestSIGTERMUnderLoad(t *testing.T) {
	url := dbtest.NewDatabase(t)
	key := createKey(t, url)
	s := startServer(t, []string{"DATABASE_URL=" + url, "PIVOTAL_LOG_FORMAT=json"}, "--shutdown-grace", "10s")
	s.waitReady(t)

	// Hold the customers table, so that requests are in flight (blocked in SQL)
	// when the signal arrives; release it after the signal, within the grace.
	store, err := db.Open(url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	var (
		mu    sync.Mutex
		calls []call
		seq   atomic.Int64
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	// A new connection per request: a request is either accepted by the server
	// or refused by the closed listener, never lost on a reused idle connection.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				id := fmt.Sprintf("load-%d-%d", w, seq.Add(1))
				var req *http.Request
				if w%2 == 0 {
					req, _ = http.NewRequest("POST", "http://"+s.addr+"/api/v1/customers", strings.NewReader(`{"name":"`+id+`"}`))
					req.Header.Set("Content-Type", "application/json")
				} else {
					req, _ = http.NewRequest("GET", "http://"+s.addr+"/api/v1/customers?limit=3", nil)
				}
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("X-Request-Id", id)
				c := call{id: id}
				resp, err := client.Do(req)
				if err != nil {
					c.err = err
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					c.status = resp.StatusCode
				}
				mu.Lock()
				calls = append(calls, c)
				mu.Unlock()
				if errors.Is(err, syscall.ECONNREFUSED) {
					return // the listener is closed: nothing more will be accepted
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	lock, err := store.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(`LOCK TABLE customers IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let every worker block on the lock
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	lock.Rollback()
	err = s.exit(t, 30*time.Second)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Errorf("exit: %v, want status 0\n%s", err, s.logs())
	}

	// What the server accepted is what it logged.
	accepted := map[string]int{}
	for _, line := range strings.Split(s.logs(), "\n") {
		var l struct {
			Msg       string
			RequestID string `json:"request_id"`
			Status    int
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" && strings.HasPrefix(l.RequestID, "load-") {
			accepted[l.RequestID] = l.Status
		}
	}
	var ok, refused, inFlight int
	for _, c := range calls {
		status, wasAccepted := accepted[c.id]
		switch {
		case c.err != nil && wasAccepted:
			t.Errorf("%s: accepted (logged %d) but the client got %v", c.id, status, c.err)
		// Never accepted: refused by the closed listener, or connected into its
		// backlog just before it closed, which the kernel then resets or ends
		// (EOF) — the client knows nothing was served and may retry.
		case c.err != nil && (errors.Is(c.err, syscall.ECONNREFUSED) || errors.Is(c.err, syscall.ECONNRESET) || errors.Is(c.err, io.EOF)):
			refused++
		case c.err != nil:
			t.Errorf("%s: %v", c.id, c.err)
		case c.status >= 500:
			t.Errorf("%s: status %d", c.id, c.status)
		case c.status != status:
			t.Errorf("%s: client got %d, server logged %d", c.id, c.status, status)
		default:
			ok++
		}
	}
	// The requests blocked on the lock were in flight when the signal came.
	for _, line := range strings.Split(s.logs(), "\n") {
		var l struct {
			Msg        string
			DurationMS float64 `json:"duration_ms"`
			RequestID  string  `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" && l.DurationMS >= 500 {
			inFlight++
		}
	}
	t.Logf("requests: %d answered (none 5xx), %d refused after the listener closed, %d in flight across the signal",
		ok, refused, inFlight)
	if inFlight == 0 {
		t.Errorf("no request was in flight across the signal; the test proves nothing")
	}
	logs := s.logs()
	if !strings.Contains(logs, `"msg":"shutting down`) || !strings.Contains(logs, `"msg":"stopped cleanly"`) {
		t.Errorf("missing shutdown log lines:\n%s", logs)
	}
}

// createKey makes an unlimited API key through the command operators use.
func createKey(t *testing.T, url string) string {
	t.Helper()
	return binCLI(t, []string{"DATABASE_URL=" + url}, "keys", "create", "--workspace", "shutdown", "--tier", "unlimited")
}

// With the embedded PostgreSQL, SIGTERM drains HTTP first, then closes the pool
// and stops the cluster last, and the process exits 0 leaving no server behind.
func TestSIGTERMStopsEmbeddedPostgresLast(t *testing.T) {
	if testing.Short() {
		t.Skip("initdb takes seconds")
	}
	if _, err := localpg.FindPostgresBin(); err != nil {
		t.Skip(err)
	}
	base, err := os.MkdirTemp("", "pivotal-embedded-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	// Run as root, the server runs as the postgres user, which must reach the directory.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(base, "pg")
	s := startServer(t, []string{"DATABASE_URL=", "PIVOTAL_DATA_DIR=" + dataDir, "PIVOTAL_LOG_FORMAT=json"})
	s.waitReady(t)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.exit(t, time.Minute); err != nil {
		t.Errorf("exit: %v, want status 0\n%s", err, s.logs())
	}
	logs := s.logs()
	order := []string{`"msg":"shutting down`, `"msg":"postgres stopped"`, `"msg":"stopped cleanly"`}
	last := -1
	for _, m := range order {
		i := strings.Index(logs, m)
		if i < 0 || i < last {
			t.Fatalf("want log lines in the order %q; %q is missing or out of order:\n%s", order, m, logs)
		}
		last = i
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid still exists after exit (err %v): the cluster was not stopped", err)
	}
}
