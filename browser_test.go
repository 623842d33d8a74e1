package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"pivotal/db/dbtest"
)

// chromiumPath finds Debian's chromium; make test installs it
// (scripts/ensure-chromium.sh). Its absence fails the test: the page is one
// of the three ways people use the server.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: run scripts/ensure-chromium.sh (make test does) to install Debian's chromium package")
	return ""
}

// browser is a headless chromium with a fresh profile, and what its page did.
type browser struct {
	ctx context.Context

	mu        sync.Mutex
	requests  []string // every URL the page asked for, WebSockets included
	sockets   []string // WebSocket URLs with the subprotocols they offered
	problems  []string // console errors, uncaught exceptions, CSP violations
	websocket chan struct{}
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	// This machine's network is closed: without these flags chromium's own
	// background connections (updates, sync, field trials) would hang or fail.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{ctx: ctx, websocket: make(chan struct{}, 1)}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		case *network.EventWebSocketCreated:
			b.requests = append(b.requests, ev.URL)
		case *network.EventWebSocketWillSendHandshakeRequest:
			b.sockets = append(b.sockets, fmt.Sprint(ev.Request.Headers["Sec-WebSocket-Protocol"]))
			select {
			case b.websocket <- struct{}{}:
			default:
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.problems = append(b.problems, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.problems = append(b.problems, fmt.Sprintf("exception: %s (%s:%d)", msg, d.URL, d.LineNumber))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.problems = append(b.problems, "console.error: "+strings.Join(args, " "))
			}
		}
	})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// do runs actions with a deadline (the first action started the browser).
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v\nproblems: %v", what, err, b.report())
	}
}

func (b *browser) report() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// parsed waits until GraphiQL has parsed what the query editor holds. It
// does so 100 ms after the last keystroke, and decides from that parse
// which operation to run and whether it is a subscription (WebSocket) or not
// (HTTP); on a loaded machine a click can come first.
func (b *browser) parsed(t *testing.T) {
	t.Helper()
	const js = `(() => { const cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
		return !!cm.documentAST && cm.documentAST.loc.source.body === cm.getValue(); })()`
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GraphiQL never parsed the query editor's text; problems: %v", b.report())
}

// response waits until the response panel holds want, and returns it.
func (b *browser) response(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var got string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](
			`(document.querySelector('.graphiql-response .CodeMirror') || {CodeMirror: {getValue: () => ''}}).CodeMirror.getValue()`))
		cancel()
		if strings.Contains(got, want) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the response panel never showed %q; it shows:\n%s\nproblems: %v", want, got, b.report())
	return ""
}

// The GraphiQL page works on a machine without internet: in a real browser it
// loads from the server alone, runs the dashboard tab with the demo key,
// runs a query typed by hand, opens a graphql-ws socket for a subscription,
// and no request leaves 127.0.0.1; the page logs no error and breaks no rule
// of its Content-Security-Policy.
func TestGraphiQLInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs chromium")
	}
	b := newBrowser(t)
	dataDir := t.TempDir()
	s := startServer(t, []string{"DATABASE_URL=" + dbtest.NewDatabase(t), "PIVOTAL_DATA_DIR=" + dataDir,
		"PIVOTAL_LOG_FORMAT=json"}, "--demo")
	s.waitReady(t)
	page := "http://" + s.addr + "/graphiql"

	// The first tab is the dashboard query, with the demo key in its headers.
	b.do(t, "opening "+page,
		chromedp.Navigate(page),
		chromedp.WaitVisible(".graphiql-execute-button"),
		chromedp.Click(".graphiql-execute-button"),
	)
	dashboard := b.response(t, `"name": "Kestrel Cycling"`)
	for _, want := range []string{`"slug": "demo"`, `"phase": `, `"primaryContact": {`} {
		if !strings.Contains(dashboard, want) {
			t.Errorf("the dashboard's response lacks %s:\n%s", want, dashboard)
		}
	}
	if dir := os.Getenv("PIVOTAL_SCREENSHOT_DIR"); dir != "" {
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "graphiql.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A query typed by hand in a new tab.
	const typed = `query ActiveCustomers { customers(first: 2, filter: { status: ACTIVE }) { nodes { name mrr } } }`
	b.do(t, "typing a query",
		chromedp.Click(".graphiql-tab-add"),
		chromedp.WaitVisible(".graphiql-query-editor .CodeMirror"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('')`),
		chromedp.Click(".graphiql-query-editor .CodeMirror-lines"),
		chromedp.SendKeys(".graphiql-query-editor .CodeMirror textarea", typed),
	)
	query, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`))
	if err != nil || strings.Join(strings.Fields(query), "") != strings.Join(strings.Fields(typed), "") {
		t.Fatalf("the editor holds %q (%v), want what was typed: %q", query, err, typed)
	}
	b.parsed(t)
	b.do(t, "running the typed query", chromedp.Click(".graphiql-execute-button"))
	got := b.response(t, `"name": "Juniper Juice Bar"`)
	if !strings.Contains(got, `"name": "Granite Gym Gear"`) || strings.Contains(got, "primaryContact") {
		t.Errorf("the typed query's response:\n%s", got)
	}

	// A subscription goes over a graphql-ws socket to the server's own origin.
	b.do(t, "typing a subscription",
		chromedp.Click(".graphiql-tab-add"),
		chromedp.WaitVisible(".graphiql-query-editor .CodeMirror"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('')`),
		chromedp.Click(".graphiql-query-editor .CodeMirror-lines"),
		chromedp.SendKeys(".graphiql-query-editor .CodeMirror textarea", `subscription Live { events { type } }`),
	)
	b.parsed(t)
	b.do(t, "running the subscription", chromedp.Click(".graphiql-execute-button"))
	select {
	case <-b.websocket:
	case <-time.After(time.Minute):
		t.Fatalf("no WebSocket opened for a subscription; requests: %v; problems: %v", b.requests, b.report())
	}
	// A customer created through REST with the demo key shows up in the
	// subscription's response panel (writes repeat until it does: the page
	// subscribes a moment after the socket opens).
	key, err := os.ReadFile(filepath.Join(dataDir, demoKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/v1/customers",
				strings.NewReader(fmt.Sprintf(`{"name":"Live %d","slug":"live-%d"}`, i, i)))
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	b.response(t, `"type": "customer.created"`)
	close(stop)

	b.mu.Lock()
	defer b.mu.Unlock()
	seen := map[string]bool{}
	for _, raw := range b.requests {
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("unparsable request URL %q", raw)
			continue
		}
		if u.Scheme == "data" || u.Scheme == "blob" {
			continue
		}
		if u.Host != s.addr || !strings.HasPrefix(u.Host, "127.0.0.1:") {
			t.Errorf("the page asked for %s, outside the server at %s", raw, s.addr)
		}
		seen[u.Scheme+" "+u.Path] = true
	}
	for _, want := range []string{"http /graphiql", "http /graphiql/assets/graphiql.js", "http /graphiql/assets/graphiql.css", "http /graphql", "ws /graphql"} {
		if !seen[want] {
			t.Errorf("no request for %s seen (requests: %v)", want, b.requests)
		}
	}
	for _, p := range b.sockets {
		if !strings.Contains(p, "graphql-transport-ws") {
			t.Errorf("the subscription socket offered %q, not graphql-ws's graphql-transport-ws", p)
		}
	}
	for _, p := range b.problems {
		t.Errorf("the page reported: %s", p)
	}
}
