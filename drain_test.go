package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"pivotal/db/dbtest"
)

// SIGTERM with keep-alive clients (issue 10 B): clients that reuse their
// connections loop across the signal, and not one request they sent on a
// kept-alive connection is reset or answered 5xx. During the drain the
// readiness check answers 503 draining, responses carry Connection: close, and
// new connections are still served; only then does the listener close (a
// request on a new connection after that is refused, which is fine: the
// client knows nothing was sent).
func TestSIGTERMDrainsKeepAliveClients(t *testing.T) {
	url := dbtest.NewDatabase(t)
	key := createKey(t, url)
	// The environment variable, not the flag: a server without the drain
	// ignores it and shows what the test is about.
	s := startServer(t, []string{"DATABASE_URL=" + url, "PIVOTAL_LOG_FORMAT=json", "PIVOTAL_SHUTDOWN_DRAIN=2s"},
		"--shutdown-grace", "10s")
	s.waitReady(t)

	type result struct {
		reused, closeHeader bool
		status              int
		err                 error
	}
	var (
		mu       sync.Mutex
		results  []result
		stop     atomic.Bool
		wg       sync.WaitGroup
		draining atomic.Bool
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker keeps one connection alive, as a pooled client does.
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for !stop.Load() {
				var r result
				trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { r.reused = i.Reused }}
				// POST: the Go client never retries it once written, so a reset
				// shows up here instead of being hidden by a silent retry.
				req, _ := http.NewRequest("POST", "http://"+s.addr+"/graphql", strings.NewReader(`{"query":"{ me { workspace { slug } } }"}`))
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					r.err = err
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					r.status, r.closeHeader = resp.StatusCode, resp.Close
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
				if errors.Is(err, syscall.ECONNREFUSED) {
					return // the listener is closed
				}
			}
		}()
	}
	// The readiness probe a load balancer would run.
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for !stop.Load() {
			resp, err := client.Get("http://" + s.addr + "/api/health/deep")
			if err != nil {
				if errors.Is(err, syscall.ECONNREFUSED) {
					return
				}
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(b), `"draining"`) {
				draining.Store(true)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	time.Sleep(700 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := s.exit(t, 60*time.Second)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Errorf("exit: %v, want status 0\n%s", err, s.logs())
	}

	var ok, closed, newConnAfterClose, refused int
	seenClose := false
	for _, r := range results {
		switch {
		case r.err != nil && r.reused:
			t.Errorf("a request on a kept-alive connection failed: %v", r.err)
		case r.err != nil && errors.Is(r.err, syscall.ECONNREFUSED):
			refused++
		case r.err != nil:
			// A new connection the kernel had queued when the listener closed
			// is reset before the server ever saw it: refused, not lost.
			t.Logf("a request on a new connection failed (queued when the listener closed): %v", r.err)
			refused++
		case r.status >= 500:
			t.Errorf("status %d", r.status)
		default:
			ok++
			if r.closeHeader {
				closed++
			}
			if seenClose && !r.reused {
				newConnAfterClose++
			}
			seenClose = seenClose || r.closeHeader
		}
	}
	t.Logf("requests: %d answered (%d with Connection: close, %d on new connections during the drain), %d refused after the listener closed",
		ok, closed, newConnAfterClose, refused)
	if !draining.Load() {
		t.Error("the readiness check never answered 503 draining")
	}
	if closed == 0 {
		t.Error("no response carried Connection: close")
	}
	if newConnAfterClose == 0 {
		t.Error("no request was served on a new connection during the drain")
	}
	if logs := s.logs(); !strings.Contains(logs, `"msg":"draining`) || !strings.Contains(logs, `"msg":"stopped cleanly"`) {
		t.Errorf("missing drain or shutdown log lines:\n%s", logs)
	}
}
