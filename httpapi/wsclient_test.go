package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"

	"pivotal/auth/leaktest"
)

// wsClient speaks graphql-transport-ws (the graphql-ws library's protocol)
// over github.com/coder/websocket, as a dashboard's client would.
type wsClient struct {
	t    testing.TB
	c    *coderws.Conn
	msgs chan wsMsg
	err  chan error
}

// wsMsg is one server message.
type wsMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type wsDialOptions struct {
	header http.Header
	// readBuffer, when > 0, shrinks the client socket's receive buffer (a
	// subscriber that stops reading then backs up quickly).
	readBuffer int
	// manual: do not read in the background (the test reads, or stops).
	manual bool
}

// dialWS opens a graphql-transport-ws connection to the env's /graphql.
func (e *env) dialWS(t testing.TB, o wsDialOptions) (*wsClient, *http.Response, error) {
	t.Helper()
	return dialWSURL(t, e.srv.URL, o)
}

func dialWSURL(t testing.TB, base string, o wsDialOptions) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil && o.readBuffer > 0 {
			c.(*net.TCPConn).SetReadBuffer(o.readBuffer)
		}
		return c, err
	}}}
	c, resp, err := coderws.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", &coderws.DialOptions{
		HTTPClient: hc, HTTPHeader: o.header, Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 22)
	w := &wsClient{t: t, c: c, msgs: make(chan wsMsg, 10000), err: make(chan error, 1)}
	t.Cleanup(func() { c.CloseNow() })
	if !o.manual {
		go w.readLoop()
	}
	return w, resp, nil
}

// readLoop reads every message, answering pings.
func (w *wsClient) readLoop() {
	for {
		m, err := w.read()
		if err != nil {
			w.err <- err
			close(w.msgs)
			return
		}
		if m.Type == "ping" {
			w.send(wsMsg{Type: "pong"})
			continue
		}
		w.msgs <- m
	}
}

func (w *wsClient) read() (wsMsg, error) {
	_, b, err := w.c.Read(context.Background())
	if err != nil {
		return wsMsg{}, err
	}
	var m wsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return wsMsg{}, err
	}
	return m, nil
}

func (w *wsClient) send(m wsMsg) error {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return w.c.Write(ctx, coderws.MessageText, b)
}

// init sends connection_init with an Authorization entry named name
// (omitted when key is "").
func (w *wsClient) init(name, key string) {
	w.t.Helper()
	payload := map[string]any{}
	if key != "" {
		leaktest.Key(key)
		payload[name] = "Bearer " + key
	}
	b, _ := json.Marshal(payload)
	if err := w.send(wsMsg{Type: "connection_init", Payload: b}); err != nil {
		w.t.Fatal(err)
	}
}

// ack waits for connection_ack.
func (w *wsClient) ack() {
	w.t.Helper()
	if m := w.next(); m.Type != "connection_ack" {
		w.t.Fatalf("got %s %s, want connection_ack", m.Type, m.Payload)
	}
}

// subscribe starts operation id.
func (w *wsClient) subscribe(id, query string) {
	w.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	if err := w.send(wsMsg{Type: "subscribe", ID: id, Payload: b}); err != nil {
		w.t.Fatal(err)
	}
}

// next returns the next message (not a ping) within 10 s.
func (w *wsClient) next() wsMsg {
	w.t.Helper()
	select {
	case m, ok := <-w.msgs:
		if !ok {
			w.t.Fatalf("connection ended: %v", w.closeErr())
		}
		return m
	case <-time.After(10 * time.Second):
		w.t.Fatal("no message within 10s")
	}
	return wsMsg{}
}

// closed waits for the connection to end and returns its close status and
// reason.
func (w *wsClient) closed() (int, string) {
	w.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-w.msgs:
			if !ok {
				err := w.closeErr()
				var ce coderws.CloseError
				if errors.As(err, &ce) {
					return int(ce.Code), ce.Reason
				}
				return -1, err.Error()
			}
			_ = m
		case <-deadline:
			w.t.Fatal("connection not closed within 10s")
		}
	}
}

func (w *wsClient) closeErr() error {
	select {
	case err := <-w.err:
		w.err <- err
		return err
	case <-time.After(10 * time.Second):
		return errors.New("no error")
	}
}
