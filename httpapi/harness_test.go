package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"pivotal/auth/leaktest"
	"pivotal/db"
	"pivotal/db/dbtest"
	"pivotal/httpmw"
	"pivotal/resolvers"
)

// TestMain runs the tests, then checks the logs of the whole run for every API
// key the tests used, created or refused: none may appear (only their visible
// prefixes). Every request helper records the keys it sends and receives.
func TestMain(m *testing.M) {
	leaktest.Source("the servers' logs (logSink)", logSink.String)
	os.Exit(leaktest.Check(dbtest.Run(m)))
}

// logSink collects every log line of the test binary, so that a test can check
// that no secret was ever logged. Every handler the tests build logs here (or
// to a buffer of its own that also writes here).
var logSink = &lockedBuffer{}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is one test's server: a fresh database, the production handler, and
// helpers to call it.
type env struct {
	t     testing.TB
	store *db.DB
	res   *resolvers.Resolver
	srv   *httptest.Server
}

func newEnv(t testing.TB) *env {
	t.Helper()
	store, err := db.Open(dbtest.NewDatabase(t), db.Options{MaxOpenConns: 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(httpmw.WithRequestIDs(slog.NewJSONHandler(logSink, nil)))
	res := resolvers.New(store, log)
	srv := httptest.NewServer(New(res, log, Options{}))
	t.Cleanup(srv.Close)
	return &env{t: t, store: store, res: res, srv: srv}
}

// key creates a key in workspace ws (created if needed) and returns it.
func (e *env) key(ws string, opts ...string) string {
	e.t.Helper()
	test, tier, name := false, "standard", "test key"
	for _, o := range opts {
		switch o {
		case "test":
			test = true
		case "paid", "unlimited", "standard":
			tier = o
		default:
			name = o
		}
	}
	k, err := e.res.OperatorCreateKey(context.Background(), ws, name, test, tier)
	if err != nil {
		e.t.Fatal(err)
	}
	leaktest.Key(k.Secret)
	return k.Secret
}

// response is what a call returned.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request; body is JSON text ("" for none). Extra headers come as
// "Name: value" strings.
func (e *env) do(method, path, key, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	leaktest.Key(key)
	leaktest.KeysIn(body)
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		if strings.EqualFold(name, "Authorization") {
			leaktest.BearerKey(value)
		}
		if value == "" {
			req.Header.Del(name)
		} else {
			req.Header.Set(name, value)
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	leaktest.KeysIn(string(b)) // a created key's secret
	checkOpenAPI(e.t, req, []byte(body), r)
	return r
}

// json decodes the body into a generic value.
func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

// str returns a top-level string field.
func (r response) str(t testing.TB, name string) string {
	t.Helper()
	s, _ := r.json(t)[name].(string)
	return s
}

// expect checks the status and that the body matches want exactly (see matchJSON).
func (r response) expect(t testing.TB, status int, want string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if want == "" {
		return
	}
	if err := matchJSON(r.Body, want); err != nil {
		t.Fatalf("%v\n got: %s\nwant: %s", err, r.Body, want)
	}
}

var (
	cuidRE = regexp.MustCompile(`^c[a-z0-9]{24}$`)
	timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

// matchJSON compares got to want structurally and exactly: every key present
// in one must be in the other with an equal value. In want, the strings
// "$cuid", "$time" and "$any" match any cuid, any timestamp in the API's exact
// format, and any value.
// Values compare with their JSON types: 4200 is not "4200", true is not
// "true", and numbers are equal when they are the same number exactly.
func matchJSON(got []byte, want string) error {
	g, err := decodeJSON(got)
	if err != nil {
		return fmt.Errorf("got is not JSON: %v", err)
	}
	w, err := decodeJSON([]byte(want))
	if err != nil {
		return fmt.Errorf("want is not JSON: %v", err)
	}
	return match("$", g, w)
}

// decodeJSON decodes b keeping numbers exact (json.Number), so that large
// integers are not rounded to the nearest float64 before they are compared.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// sameNumber reports whether two JSON numbers are the same number (1e2 is 100).
func sameNumber(a, b json.Number) bool {
	x, okx := new(big.Rat).SetString(string(a))
	y, oky := new(big.Rat).SetString(string(b))
	return okx && oky && x.Cmp(y) == 0
}

// jsonText shows a decoded value as JSON, so that a message tells 4200 from "4200".
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func match(path string, g, w any) error {
	if s, ok := w.(string); ok {
		switch s {
		case "$any":
			return nil
		case "$cuid":
			if gs, ok := g.(string); ok && cuidRE.MatchString(gs) {
				return nil
			}
			return fmt.Errorf("%s: %v is not a cuid", path, g)
		case "$time":
			if gs, ok := g.(string); ok && timeRE.MatchString(gs) {
				return nil
			}
			return fmt.Errorf("%s: %v is not a timestamp", path, g)
		}
	}
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %T, want object", path, g)
		}
		keys := map[string]bool{}
		for k := range wv {
			keys[k] = true
		}
		for k := range gv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			gk, gok := gv[k]
			wk, wok := wv[k]
			if !gok {
				return fmt.Errorf("%s.%s: missing", path, k)
			}
			if !wok {
				return fmt.Errorf("%s.%s: unexpected key (value %v)", path, k, gk)
			}
			if err := match(path+"."+k, gk, wk); err != nil {
				return err
			}
		}
		return nil
	case []any:
		gv, ok := g.([]any)
		if !ok || len(gv) != len(wv) {
			return fmt.Errorf("%s: got %v, want %d elements", path, g, len(wv))
		}
		for i := range wv {
			if err := match(fmt.Sprintf("%s[%d]", path, i), gv[i], wv[i]); err != nil {
				return err
			}
		}
		return nil
	case json.Number:
		if gv, ok := g.(json.Number); !ok || !sameNumber(gv, wv) {
			return fmt.Errorf("%s: got %s, want %s", path, jsonText(g), wv)
		}
		return nil
	default: // string, bool, null: the same type and value
		if g != w {
			return fmt.Errorf("%s: got %s, want %s", path, jsonText(g), jsonText(w))
		}
		return nil
	}
}

// matchJSON tells JSON types apart, so a number never matches its digits in a
// string nor a boolean its name.
func TestMatchJSONComparesTypes(t *testing.T) {
	for _, c := range []struct {
		got, want string
		same      bool
	}{
		{`{"mrr":4200}`, `{"mrr":4200}`, true},
		{`{"mrr":4200}`, `{"mrr":4200.0}`, true},
		{`{"mrr":100}`, `{"mrr":1e2}`, true},
		{`{"id":9007199254740993}`, `{"id":9007199254740993}`, true},
		{`{"id":9007199254740993}`, `{"id":9007199254740992}`, false},
		{`{"mrr":4200}`, `{"mrr":"4200"}`, false},
		{`{"mrr":"4200"}`, `{"mrr":4200}`, false},
		{`{"ok":true}`, `{"ok":"true"}`, false},
		{`{"ok":"true"}`, `{"ok":true}`, false},
		{`{"v":null}`, `{"v":"null"}`, false},
		{`{"v":"<nil>"}`, `{"v":null}`, false},
		{`{"v":[1]}`, `{"v":["1"]}`, false},
		{`{"v":"x"}`, `{"v":"$any"}`, true},
	} {
		if err := matchJSON([]byte(c.got), c.want); (err == nil) != c.same {
			t.Errorf("matchJSON(%s, %s) = %v, want same=%v", c.got, c.want, err, c.same)
		}
	}
}

// gql sends a GraphQL request and returns the response.
func (e *env) gql(key, query string, vars map[string]any, headers ...string) response {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return e.do("POST", "/graphql", key, string(b), headers...)
}

// newCustomer creates a customer through REST and returns its cuid.
func (e *env) newCustomer(key, name string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/customers", key, fmt.Sprintf(`{"name":%q}`, name))
	r.expect(e.t, 201, "")
	return r.str(e.t, "id")
}

// listNames walks a REST list from path to its end, following next_cursor,
// and returns the names it saw and the pages it took. It fails on a
// next_cursor without has_more, or one that is not the last row's created_at.
func (e *env) listNames(t *testing.T, key, path string) (names []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		p := path
		if cursor != "" {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			p += sep + "cursor=" + cursor
		}
		r := e.do("GET", p, key, "")
		r.expect(t, 200, "")
		body := r.json(t)
		data := body["data"].([]any)
		for _, d := range data {
			names = append(names, d.(map[string]any)["name"].(string))
		}
		pages++
		if body["has_more"] != true {
			if body["next_cursor"] != nil {
				t.Fatalf("next_cursor without has_more: %s", r.Body)
			}
			return names, pages
		}
		if got, want := body["next_cursor"], data[len(data)-1].(map[string]any)["created_at"]; got != want {
			t.Fatalf("next_cursor %v, want the last row's created_at %v", got, want)
		}
		cursor = body["next_cursor"].(string)
		if pages > 50 {
			t.Fatal("walk does not end")
		}
	}
}
