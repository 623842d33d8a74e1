package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/db/dbtest"
	"pivotal/httpmw"
	"pivotal/resolvers"
	"pivotal/rest"
)

// capture is a server whose logs are its own, so that a test can see every
// line one request produced.
type capture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	logSink.Write(p) // the run's key-leak check sees these lines too
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

// take returns the lines logged since the last take.
func (c *capture) take() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(c.buf.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	c.buf.Reset()
	return out
}

// allCarry fails unless there are lines and every one names request id.
func allCarry(t *testing.T, lines []map[string]any, id, what string) {
	t.Helper()
	if len(lines) == 0 {
		t.Fatalf("%s: nothing logged", what)
	}
	for _, l := range lines {
		if l["request_id"] != id {
			t.Errorf("%s: log line without request id %s: %v", what, id, l)
		}
	}
}

func TestRequestIDOnEveryResponseAndLogLine(t *testing.T) {
	store, err := db.Open(dbtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &capture{}
	log := slog.New(httpmw.WithRequestIDs(slog.NewJSONHandler(logs, nil)))
	res := resolvers.New(store, log)
	srv := httptest.NewServer(New(res, log, Options{}))
	defer srv.Close()
	e := &env{t: t, store: store, res: res, srv: srv}
	key := e.key("rid")
	logs.take()

	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	for _, c := range []struct {
		method, path, key, body string
		status                  int
	}{
		{"GET", "/api/v1/health", "", "", 200},
		{"GET", "/nowhere", "", "", 404},
		{"GET", "/api/v1/me", "", "", 401},
		{"GET", "/api/v1/me", "pivotal_" + strings.Repeat("A", 32), "", 401},
		{"POST", "/api/v1/customers", key, `{"name":"Rid"}`, 201},
		{"POST", "/api/v1/customers", key, `{"name":1}`, 400},
		{"POST", "/api/v1/customers", key, big, 413},
		{"POST", "/graphql", key, `{"query":"{ me { workspace { slug } } }"}`, 200},
		{"POST", "/graphql", "", `{"query":"{ me { workspace { slug } } }"}`, 401},
		{"DELETE", "/api/v1/health", "", "", 405},
	} {
		for _, inbound := range []string{"", "trace-123.abc", "bad id with spaces", strings.Repeat("x", 65)} {
			what := c.method + " " + c.path + " X-Request-Id " + inbound
			r := e.do(c.method, c.path, c.key, c.body, "X-Request-Id: "+inbound)
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d", what, r.Status, c.status)
			}
			id := r.Header.Get("X-Request-Id")
			switch {
			case inbound == "trace-123.abc" && id != inbound:
				t.Errorf("%s: a sane inbound id was replaced by %q", what, id)
			case inbound != "trace-123.abc" && !strings.HasPrefix(id, "req_"):
				t.Errorf("%s: got X-Request-Id %q, want a generated one", what, id)
			}
			allCarry(t, logs.take(), id, what)
		}
	}

	// A real 500 (the pool is gone): the client's message names the request id,
	// and so does every line logged for it.
	store.Close()
	r := e.do("GET", "/api/v1/customers", key, "", "X-Request-Id: trace-500")
	if r.Status != 500 {
		t.Fatalf("closed pool: status %d %s, want 500", r.Status, r.Body)
	}
	if msg := r.json(t)["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "trace-500") {
		t.Errorf("500 message %q does not name the request id", msg)
	}
	lines := logs.take()
	allCarry(t, lines, "trace-500", "500")
	if len(lines) < 2 {
		t.Errorf("want the error and the access line, got %v", lines)
	}
}

// A panic becomes a 500 whose message names the request id, logged with the
// stack; a line the handler logged with the request's context carries it too.
func TestPanicNamesRequestID(t *testing.T) {
	logs := &capture{}
	log := slog.New(httpmw.WithRequestIDs(slog.NewJSONHandler(logs, nil)))
	restErr := func(w http.ResponseWriter, r *http.Request, e *apperr.Error) { rest.WriteError(w, e) }
	r := chi.NewRouter()
	r.Use(httpmw.RequestID, httpmw.AccessLog(log, nil), httpmw.Recover(log, restErr))
	r.Get("/boom", func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "about to fail")
		panic("boom")
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	var body struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 500 || body.Error.Code != "internal_error" || id == "" || !strings.Contains(body.Error.Message, id) {
		t.Fatalf("status %d, id %q, body %+v", resp.StatusCode, id, body)
	}
	lines := logs.take()
	allCarry(t, lines, id, "panic")
	var msgs []string
	for _, l := range lines {
		msgs = append(msgs, l["msg"].(string))
		if l["msg"] == "panic" && !strings.Contains(l["stack"].(string), "TestPanicNamesRequestID") {
			t.Errorf("panic logged without the handler's stack: %v", l["stack"])
		}
	}
	if strings.Join(msgs, ",") != "about to fail,panic,request" {
		t.Errorf("logged %v, want the handler's line, the panic and the access line", msgs)
	}
}
