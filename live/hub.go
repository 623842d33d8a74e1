// Package live fans the event outbox out to GraphQL subscriptions on this
// instance. One LISTEN connection per instance learns, at commit, which events
// were written (migration 0006's trigger notifies their seqs); the hub reads
// exactly those rows in one statement per batch of notifications, only for the
// workspaces and modes somebody here subscribes to, and hands each event to its
// subscribers without ever waiting for one of them: a subscriber whose buffer
// is full is dropped and its connection closed with a clear reason.
//
// A lost LISTEN connection is re-established; the hub then reads every feed it
// serves from a little before the last seq it saw, so events committed while
// it was deaf still arrive (once: delivered seqs are remembered).
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"pivotal/db"
)

// Close codes the hub asks a connection to close with.
const (
	// CloseUnauthorized: the key was revoked (graphql-ws's 4401).
	CloseUnauthorized = 4401
	// CloseTooSlow: the subscriber did not keep up (RFC 6455 "try again
	// later": a client may reconnect and read what it missed from the events
	// query).
	CloseTooSlow = 1013
	// CloseGoingAway: the server is shutting down.
	CloseGoingAway = 1001
)

// ErrTooManySubscriptions is returned when a key already holds its limit of
// subscriptions on this instance.
var ErrTooManySubscriptions = errors.New("too many subscriptions")

// Options tune a Hub.
type Options struct {
	// Buffer is how many events may wait for one subscriber (default 256).
	Buffer int
	// MaxPerKey is how many subscriptions one key may hold on this instance
	// at once (default 100).
	MaxPerKey int
	// CatchUpMargin is how far below the last seen seq a catch-up reads, for
	// events whose transactions took their seq earlier but committed while
	// the listener was away (default 1000).
	CatchUpMargin int64
	// Name is the LISTEN connection's application_name (default
	// "pivotal-live").
	Name string
}

// Hub is an instance's fan-out. Create it with New and run it with Run.
type Hub struct {
	dsn  string
	rdb  *sqlx.DB
	log  *slog.Logger
	opts Options

	mu     sync.Mutex
	feeds  map[db.Feed]map[*Sub]struct{}
	perKey map[string]int
	// conns are the open connections per key id, for revocation.
	conns map[string]map[*Conn]struct{}

	// high is the highest seq any notification named; seen remembers the
	// seqs delivered recently so that a catch-up delivers nothing twice.
	high     int64
	seen     map[int64]struct{}
	seenRing []int64
	seenNext int

	ready   chan struct{}
	stopped bool // under mu: Run has returned
	stats   Stats
}

// Stats are the hub's counters (tests and the benchmark read them).
type Stats struct {
	mu         sync.Mutex
	Statements int64 // statements run to read events
	Batches    int64
	Events     int64 // events read
	Deliveries int64 // events handed to subscribers
	Dropped    int64 // subscribers closed for being slow
	Reconnects int64
}

// New returns a hub reading through rdb and listening on a connection of its
// own to dsn.
func New(dsn string, rdb *sqlx.DB, log *slog.Logger, o Options) *Hub {
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	if o.MaxPerKey <= 0 {
		o.MaxPerKey = 100
	}
	if o.CatchUpMargin <= 0 {
		o.CatchUpMargin = 1000
	}
	if o.Name == "" {
		o.Name = "pivotal-live"
	}
	return &Hub{dsn: dsn, rdb: rdb, log: log, opts: o,
		feeds: map[db.Feed]map[*Sub]struct{}{}, perKey: map[string]int{}, conns: map[string]map[*Conn]struct{}{},
		seen: map[int64]struct{}{}, seenRing: make([]int64, 20000), ready: make(chan struct{})}
}

// Ready is closed once the hub listens: events committed after it are
// delivered.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Snapshot returns a copy of the hub's counters.
func (h *Hub) Snapshot() Stats {
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	return Stats{Statements: h.stats.Statements, Batches: h.stats.Batches, Events: h.stats.Events,
		Deliveries: h.stats.Deliveries, Dropped: h.stats.Dropped, Reconnects: h.stats.Reconnects}
}

func (h *Hub) count(f func(s *Stats)) {
	h.stats.mu.Lock()
	f(&h.stats)
	h.stats.mu.Unlock()
}

// Conn is one client connection (a WebSocket) as the hub sees it: its key and
// how to close it.
type Conn struct {
	KeyID string
	// Close closes the connection with a WebSocket close code and reason. It
	// must not block.
	Close func(code int, reason string)
}

// Register records an open connection of keyID; the returned func forgets it.
func (h *Hub) Register(c *Conn) (unregister func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.conns[c.KeyID]
	if m == nil {
		m = map[*Conn]struct{}{}
		h.conns[c.KeyID] = m
	}
	m[c] = struct{}{}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.conns[c.KeyID], c)
		if len(h.conns[c.KeyID]) == 0 {
			delete(h.conns, c.KeyID)
		}
	}
}

// Delivery is one event for the subscribers of one feed. It is shared by all
// of them: Memo computes what they have in common once.
type Delivery struct {
	Event db.Event
	// Batch is shared by the deliveries of one feed read in one round.
	Batch *Batch
	once  sync.Once
	v     any
	err   error
}

// Memo returns f's result, computed once per delivery.
func (d *Delivery) Memo(f func(db.Event) (any, error)) (any, error) {
	d.once.Do(func() { d.v, d.err = f(d.Event) })
	return d.v, d.err
}

// Batch holds what the subscribers of one feed share for one round of events
// (their nested fields' loaders).
type Batch struct {
	mu sync.Mutex
	v  any
}

// Value returns the batch's value, made by mk on first use.
func (b *Batch) Value(mk func() any) any {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.v == nil {
		b.v = mk()
	}
	return b.v
}

// Sub is one subscription.
type Sub struct {
	h     *Hub
	feed  db.Feed
	key   string
	types map[string]bool
	ch    chan *Delivery
	conn  *Conn
	done  bool // under h.mu
}

// C delivers the subscription's events; it is closed when the subscription
// ends (unsubscribed, too slow, hub stopped).
func (s *Sub) C() <-chan *Delivery { return s.ch }

// Subscribe starts a subscription of conn's key to the events of feed whose
// type is among types (all when empty). It fails with
// ErrTooManySubscriptions when the key holds MaxPerKey already.
func (h *Hub) Subscribe(conn *Conn, feed db.Feed, types []string) (*Sub, error) {
	s := &Sub{h: h, feed: feed, key: conn.KeyID, ch: make(chan *Delivery, h.opts.Buffer), conn: conn}
	if len(types) > 0 {
		s.types = make(map[string]bool, len(types))
		for _, t := range types {
			s.types[t] = true
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil, errors.New("the server is shutting down")
	}
	if h.perKey[conn.KeyID] >= h.opts.MaxPerKey {
		return nil, fmt.Errorf("%w: this key holds %d subscriptions on this server, the most allowed",
			ErrTooManySubscriptions, h.opts.MaxPerKey)
	}
	h.perKey[conn.KeyID]++
	m := h.feeds[feed]
	if m == nil {
		m = map[*Sub]struct{}{}
		h.feeds[feed] = m
	}
	m[s] = struct{}{}
	return s, nil
}

// MaxPerKey is the per-key subscription limit.
func (h *Hub) MaxPerKey() int { return h.opts.MaxPerKey }

// Unsubscribe ends s (idempotent).
func (s *Sub) Unsubscribe() {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.dropLocked(s)
}

// dropLocked removes s and closes its channel.
func (h *Hub) dropLocked(s *Sub) {
	if s.done {
		return
	}
	s.done = true
	close(s.ch)
	if m := h.feeds[s.feed]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.feeds, s.feed)
		}
	}
	if h.perKey[s.key]--; h.perKey[s.key] <= 0 {
		delete(h.perKey, s.key)
	}
}

// Run listens and fans out until ctx ends, then closes every subscription
// and asks every connection to close (going away).
func (h *Hub) Run(ctx context.Context) error {
	defer h.shutdown()
	since, err := db.LatestEventSeq(ctx, h.rdb)
	if err != nil {
		return err
	}
	h.high = since
	dsn, err := db.ListenerDSN(h.dsn, h.opts.Name)
	if err != nil {
		return err
	}
	l := pq.NewListener(dsn, 100*time.Millisecond, 2*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			h.log.Warn("live events: LISTEN connection lost; reconnecting", "err", fmt.Sprint(err))
		case pq.ListenerEventReconnected:
			h.log.Info("live events: LISTEN connection back; catching up")
		case pq.ListenerEventConnectionAttemptFailed:
			h.log.Warn("live events: LISTEN connection attempt failed", "err", fmt.Sprint(err))
		}
	})
	defer l.Close()
	for _, ch := range []string{db.EventsChannel, db.KeysChannel} {
		if err := l.Listen(ch); err != nil {
			return fmt.Errorf("live events: LISTEN %s: %w", ch, err)
		}
	}
	close(h.ready)
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			// Finds a silently dead connection (pq then reconnects).
			go l.Ping()
		case n := <-l.Notify:
			if n == nil {
				h.count(func(s *Stats) { s.Reconnects++ })
				h.catchUp(ctx)
				h.recheckKeys(ctx)
				continue
			}
			batch, reconnected := []*pq.Notification{n}, false
		drain:
			for len(batch) < 1000 {
				select {
				case n := <-l.Notify:
					if n == nil {
						reconnected = true
						break drain
					}
					batch = append(batch, n)
				default:
					break drain
				}
			}
			h.handle(ctx, batch)
			if reconnected {
				h.count(func(s *Stats) { s.Reconnects++ })
				h.catchUp(ctx)
				h.recheckKeys(ctx)
			}
		}
	}
}

// handle reads the events a batch of notifications names (those somebody
// here subscribes to) and delivers them; it closes revoked keys' connections.
func (h *Hub) handle(ctx context.Context, batch []*pq.Notification) {
	var refs []db.EventRef
	var revoked []string
	h.mu.Lock()
	for _, n := range batch {
		switch n.Channel {
		case db.KeysChannel:
			revoked = append(revoked, n.Extra)
		case db.EventsChannel:
			rs, err := db.ParseEventsNotification(n.Extra)
			if err != nil {
				h.log.Error("live events: bad notification", "err", err.Error())
				continue
			}
			for _, r := range rs {
				if r.Seq > h.high {
					h.high = r.Seq
				}
				if len(h.feeds[db.Feed{WorkspaceID: r.WorkspaceID, Livemode: r.Livemode}]) > 0 {
					refs = append(refs, r)
				}
			}
		}
	}
	h.mu.Unlock()
	h.closeKeys(revoked, "API key revoked")
	if len(refs) == 0 {
		return
	}
	var evs []db.Event
	err := retry(ctx, func() (err error) {
		h.count(func(s *Stats) { s.Statements++ })
		evs, err = db.FindEventsByRef(ctx, h.rdb, refs)
		return err
	})
	if err != nil {
		h.log.Error("live events: reading events failed", "err", err.Error(), "events", len(refs))
		return
	}
	h.deliver(evs)
}

// retry runs f up to 3 times while ctx lives (a read lost to a database
// restart is tried again).
func retry(ctx context.Context, f func() error) error {
	var err error
	for i := 0; i < 3; i++ {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i+1) * 200 * time.Millisecond):
		}
	}
	return err
}

// deliver hands evs (in seq order) to their subscribers, never waiting.
func (h *Hub) deliver(evs []db.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	batches := map[db.Feed]*Batch{}
	var delivered, dropped int64
	for i := range evs {
		e := &evs[i]
		if _, dup := h.seen[e.Seq]; dup {
			continue
		}
		h.remember(e.Seq)
		f := db.Feed{WorkspaceID: e.WorkspaceID, Livemode: e.Livemode}
		subs := h.feeds[f]
		if len(subs) == 0 {
			continue
		}
		b := batches[f]
		if b == nil {
			b = &Batch{}
			batches[f] = b
		}
		d := &Delivery{Event: *e, Batch: b}
		for s := range subs {
			if s.types != nil && !s.types[e.Type] {
				continue
			}
			select {
			case s.ch <- d:
				delivered++
			default:
				dropped++
				h.dropLocked(s)
				if s.conn != nil && s.conn.Close != nil {
					s.conn.Close(CloseTooSlow, fmt.Sprintf("subscriber too slow: more than %d events waiting", h.opts.Buffer))
				}
			}
		}
	}
	h.count(func(s *Stats) {
		s.Batches++
		s.Events += int64(len(evs))
		s.Deliveries += delivered
		s.Dropped += dropped
	})
}

// remember records seq as delivered, forgetting the oldest beyond the ring.
func (h *Hub) remember(seq int64) {
	if old := h.seenRing[h.seenNext]; old != 0 {
		delete(h.seen, old)
	}
	h.seenRing[h.seenNext] = seq
	h.seenNext = (h.seenNext + 1) % len(h.seenRing)
	h.seen[seq] = struct{}{}
}

// catchUp reads the feeds served here from a little below the last seq seen,
// after the LISTEN connection came back: what was committed while it was away
// is delivered, what was delivered already is not.
func (h *Hub) catchUp(ctx context.Context) {
	h.mu.Lock()
	feeds := make([]db.Feed, 0, len(h.feeds))
	for f := range h.feeds {
		feeds = append(feeds, f)
	}
	since := h.high - h.opts.CatchUpMargin
	h.mu.Unlock()
	if len(feeds) == 0 {
		return
	}
	if since < 0 {
		since = 0
	}
	for {
		var evs []db.Event
		const page = 1000
		err := retry(ctx, func() (err error) {
			h.count(func(s *Stats) { s.Statements++ })
			evs, err = db.FindEventsSince(ctx, h.rdb, feeds, since, page)
			return err
		})
		if err != nil {
			h.log.Error("live events: catching up failed", "err", err.Error())
			return
		}
		h.mu.Lock()
		for _, e := range evs {
			if e.Seq > h.high {
				h.high = e.Seq
			}
		}
		h.mu.Unlock()
		h.deliver(evs)
		if len(evs) < page {
			return
		}
		since = evs[len(evs)-1].Seq
	}
}

// recheckKeys closes the connections of keys revoked while the listener was
// away.
func (h *Hub) recheckKeys(ctx context.Context) {
	h.mu.Lock()
	ids := make([]string, 0, len(h.conns))
	for id := range h.conns {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	var gone []string
	err := retry(ctx, func() (err error) {
		gone, err = db.RevokedKeys(ctx, h.rdb, ids)
		return err
	})
	if err != nil {
		h.log.Error("live events: checking keys failed", "err", err.Error())
		return
	}
	h.closeKeys(gone, "API key revoked")
}

// closeKeys closes every connection of the keys ids.
func (h *Hub) closeKeys(ids []string, reason string) {
	if len(ids) == 0 {
		return
	}
	h.mu.Lock()
	var cs []*Conn
	for _, id := range ids {
		for c := range h.conns[id] {
			cs = append(cs, c)
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.Close(CloseUnauthorized, reason)
	}
}

// shutdown ends every subscription and closes every connection.
func (h *Hub) shutdown() {
	h.mu.Lock()
	h.stopped = true
	var cs []*Conn
	for _, m := range h.feeds {
		for s := range m {
			h.dropLocked(s)
		}
	}
	for _, m := range h.conns {
		for c := range m {
			cs = append(cs, c)
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.Close(CloseGoingAway, "server shutting down")
	}
}

type connKey struct{}

// WithConn returns ctx carrying the connection its operations run on.
func WithConn(ctx context.Context, c *Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnFrom returns the connection of ctx, or nil outside one.
func ConnFrom(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// Subscriptions is how many subscriptions the hub holds.
func (h *Hub) Subscriptions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.feeds {
		n += len(m)
	}
	return n
}
