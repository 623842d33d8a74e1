package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"pivotal/db/dbtest"
)

// serve's collector defaults (GOGC=400 and a 120 MiB soft memory limit, see
// tuneGC) hold unless the operator sets GOGC or GOMEMLIMIT, each of which wins
// on its own. Read in the running process, from the Go runtime's own metrics
// on the operator listener.
func TestServeGCDefaults(t *testing.T) {
	url := dbtest.NewDatabase(t)
	for _, c := range []struct {
		env         []string
		gogc, limit string
	}{
		{[]string{"GOGC=", "GOMEMLIMIT="}, "400", "1.2582912e+08"},
		{[]string{"GOGC=150", "GOMEMLIMIT="}, "150", "1.2582912e+08"},
		{[]string{"GOGC=", "GOMEMLIMIT=300MiB"}, "400", "3.145728e+08"},
	} {
		s := startServer(t, append([]string{"DATABASE_URL=" + url, "PIVOTAL_LOG_FORMAT=json"}, c.env...),
			"--metrics-addr", "127.0.0.1:0")
		body := scrape(t, metricsAddr(t, s))
		for _, want := range []string{"go_gc_gogc_percent " + c.gogc, "go_gc_gomemlimit_bytes " + c.limit} {
			if !strings.Contains(body, "\n"+want+"\n") {
				t.Errorf("%v: /metrics lacks %q", c.env, want)
			}
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		if err := s.exit(t, 30*time.Second); err != nil {
			t.Errorf("%v: exit %v", c.env, err)
		}
	}
}

// metricsAddr waits for the server to log its operator listener's address
// (just after the API's) and returns it.
func metricsAddr(t *testing.T, s *server) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, line := range strings.Split(s.logs(), "\n") {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "metrics listening" {
				return l.Addr
			}
		}
	}
	t.Fatalf("no metrics listener logged:\n%s", s.logs())
	return ""
}

// scrape returns the text of GET /metrics on addr.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}
