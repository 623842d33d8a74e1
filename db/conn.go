package db

import (
	"bufio"
	"context"
	"database/sql/driver"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/lib/pq"
)

// Stats counts the SQL statements run under one context (one request). Tests use
// it to prove a request runs a constant number of statements; the server logs it.
type Stats struct {
	statements atomic.Int64
	nanos      atomic.Int64
	text       atomic.Int64
}

// Statements is the number of statements run so far.
func (s *Stats) Statements() int64 { return s.statements.Load() }

// SQLBytes is the length of those statements' text (a prepared statement's
// text counted at each execution), arguments not included.
func (s *Stats) SQLBytes() int64 { return s.text.Load() }

// Duration is the time spent waiting for those statements.
func (s *Stats) Duration() time.Duration { return time.Duration(s.nanos.Load()) }

type statsKey struct{}

// WithStats returns a context whose statements are counted in the returned Stats.
func WithStats(ctx context.Context) (context.Context, *Stats) {
	s := &Stats{}
	return context.WithValue(ctx, statsKey{}, s), s
}

// StatsFrom returns the Stats of ctx, or nil.
func StatsFrom(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}

// Statement is one statement a StatementLog saw: its text and arguments as
// they reached the driver.
type Statement struct {
	Query string
	Args  []any
}

// StatementLog records the statements run under one context (tests use it to
// EXPLAIN what a request really ran).
type StatementLog struct {
	mu   sync.Mutex
	list []Statement
}

// Statements returns what was recorded so far.
func (l *StatementLog) Statements() []Statement {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

type statementLogKey struct{}

// WithStatementLog returns a context whose statements are recorded in the
// returned log (transaction control is not).
func WithStatementLog(ctx context.Context) (context.Context, *StatementLog) {
	l := &StatementLog{}
	return context.WithValue(ctx, statementLogKey{}, l), l
}

func logStatement(ctx context.Context, query string, args []driver.NamedValue) {
	l, _ := ctx.Value(statementLogKey{}).(*StatementLog)
	if l == nil {
		return
	}
	st := Statement{Query: query, Args: make([]any, len(args))}
	for i, a := range args {
		st.Args[i] = a.Value
	}
	l.mu.Lock()
	l.list = append(l.list, st)
	l.mu.Unlock()
}

// Observer is told of every statement (for metrics).
type Observer func(ctx context.Context, d time.Duration, err error)

// countingConnector wraps lib/pq's connector so that every statement that reaches
// the server is counted, whatever code issued it.
type countingConnector struct {
	inner   driver.Connector
	observe Observer
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, observe: c.observe}, nil
}

func (c *countingConnector) Driver() driver.Driver { return c.inner.Driver() }

type countingConn struct {
	driver.Conn
	observe Observer
	// stmts are the statements queryDriver prepared on this connection.
	stmts *lru.Cache[string, driver.Stmt]
}

func (c *countingConn) done(ctx context.Context, start time.Time, err error, text int) {
	d := time.Since(start)
	if s := StatsFrom(ctx); s != nil {
		s.statements.Add(1)
		s.nanos.Add(int64(d))
		s.text.Add(int64(text))
	}
	if c.observe != nil {
		c.observe(ctx, d, err)
	}
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	start := time.Now()
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	c.done(ctx, start, err, len(query))
	logStatement(ctx, query, args)
	return rows, err
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	start := time.Now()
	res, err := c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	c.done(ctx, start, err, len(query))
	logStatement(ctx, query, args)
	return res, err
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	start := time.Now()
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	c.done(ctx, start, err, len("BEGIN"))
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, ctx: ctx, conn: c}, nil
}

// PrepareContext is not counted: preparing is part of a statement's first
// execution, which countingStmt counts.
func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, conn: c, query: query}, nil
}

// countingStmt counts each execution of a prepared statement.
type countingStmt struct {
	driver.Stmt
	conn  *countingConn
	query string
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	start := time.Now()
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	s.conn.done(ctx, start, err, len(s.query))
	logStatement(ctx, s.query, args)
	return rows, err
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	start := time.Now()
	res, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	s.conn.done(ctx, start, err, len(s.query))
	logStatement(ctx, s.query, args)
	return res, err
}

func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *countingConn) Ping(ctx context.Context) error {
	return c.Conn.(driver.Pinger).Ping(ctx)
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// countingTx counts COMMIT and ROLLBACK as the statements they are.
type countingTx struct {
	driver.Tx
	ctx  context.Context
	conn *countingConn
}

func (t *countingTx) Commit() error {
	start := time.Now()
	err := t.Tx.Commit()
	t.conn.done(t.ctx, start, err, len("COMMIT"))
	return err
}

func (t *countingTx) Rollback() error {
	start := time.Now()
	err := t.Tx.Rollback()
	t.conn.done(t.ctx, start, err, len("ROLLBACK"))
	return err
}

func newConnector(dsn string, observe Observer) (driver.Connector, error) {
	inner, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	inner.Dialer(bufferedDialer{})
	return &countingConnector{inner: inner, observe: observe}, nil
}

// readBufferSize is how much of the server's output a connection takes in
// one read. lib/pq reads through a 4 KiB buffer, so a read plan's 100 KB
// page of rows took a system call per 4 KiB; these take what has arrived.
const readBufferSize = 64 << 10

// bufferedDialer dials as lib/pq's own dialer does, and reads each
// connection through a buffer of readBufferSize.
type bufferedDialer struct{ net.Dialer }

func (d bufferedDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d bufferedDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d bufferedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.Dialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readBufferSize)}, nil
}

// bufferedConn is a connection read through r (TLS, when lib/pq negotiates
// it, runs on top: the server sends nothing between its answer to the SSL
// request and the handshake, so nothing is buffered ahead of it).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
