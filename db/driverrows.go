package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	lru "github.com/hashicorp/golang-lru/v2"
)

// The read path's level statements return hundreds of rows per request, and
// database/sql's per-row work (its locks, Scan's conversions into the
// destinations) cost about as much Go time as the driver's own. queryDriver
// reads them from lib/pq's driver rows instead: the values as lib/pq decodes
// them, handed to the caller without another copy or conversion. Statements
// are prepared once per connection, as database/sql's Stmt would.

// connStmtCacheSize bounds the statements prepared on one connection. A level
// statement's text depends only on the shape of a read (values are
// parameters), and clients send few shapes; each one prepared keeps its parse
// tree and plans in the server's backend, so the bound also caps that memory
// (this many per connection of the pool). A shape pushed out is prepared again
// at its next use, which costs what an unprepared statement's planning does.
const connStmtCacheSize = 64

// maxBadConnAttempts is how often a statement is tried on a connection that
// turns out to be broken before any row was read (database/sql's own rule).
const maxBadConnAttempts = 3

// queryDriver runs query with args on one connection of the pool, prepared on
// that connection at its first use, and calls row with each row's values.
// row must not keep dest's values past its return: []byte values point into
// the driver's buffer. Arguments are strings, int64s or driver.Valuers.
func (s *DB) queryDriver(ctx context.Context, query string, args []any, dest []driver.Value, row func(dest []driver.Value) error) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v := a
		if valuer, ok := a.(driver.Valuer); ok {
			var err error
			if v, err = valuer.Value(); err != nil {
				return err
			}
		}
		switch v.(type) {
		case string, int64, []byte, nil:
		default:
			return fmt.Errorf("db: argument %d is a %T", i+1, a)
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	var err error
	for range maxBadConnAttempts {
		var read bool
		err = s.onConn(ctx, func(c *countingConn) error {
			st, err := c.stmt(ctx, query)
			if err != nil {
				return err
			}
			rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, named)
			if err != nil {
				return err
			}
			defer rows.Close()
			for {
				if err := rows.Next(dest); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				read = true
				if err := row(dest); err != nil {
					return err
				}
			}
		})
		if read || !errors.Is(err, driver.ErrBadConn) {
			break
		}
	}
	return classify(err)
}

// onConn calls f with one of the pool's connections, held until f returns.
// A connection f finds broken (driver.ErrBadConn) is closed, not pooled.
func (s *DB) onConn(ctx context.Context, f func(c *countingConn) error) error {
	conn, err := s.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*countingConn)
		if !ok {
			return fmt.Errorf("db: connection is a %T", dc)
		}
		return f(c)
	})
}

// stmt returns c's prepared statement for query, preparing it on first use.
// Only the goroutine holding c calls it (database/sql hands a connection to
// one user at a time), so an evicted statement is closed on c safely.
func (c *countingConn) stmt(ctx context.Context, query string) (driver.Stmt, error) {
	if c.stmts == nil {
		c.stmts, _ = lru.NewWithEvict(connStmtCacheSize, func(_ string, st driver.Stmt) { st.Close() })
	}
	if st, ok := c.stmts.Get(query); ok {
		return st, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts.Add(query, st)
	return st, nil
}
