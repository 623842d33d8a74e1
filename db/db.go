package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DB is the store: a pool of connections to one PostgreSQL database.
type DB struct {
	*sqlx.DB
	// StatementTimeout bounds every API statement (0: none).
	StatementTimeout time.Duration
	// stmts are the statements prepared through the pool (stmtcache.go).
	stmts *stmtCache
	// workspaces are the workspaces' names by id (workspaces.go).
	workspaces *lru.Cache[string, wsNames]
}

// Queryer runs statements: a *DB or a *sqlx.Tx, so helpers compose in a transaction.
type Queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Options tune a pool.
type Options struct {
	MaxOpenConns     int
	StatementTimeout time.Duration
	Observe          Observer
}

// Open connects to dsn (a libpq URL or keyword string). It does not ping.
func Open(dsn string, o Options) (*DB, error) {
	if o.StatementTimeout > 0 {
		// Set as a connection parameter: no extra round trip per request.
		var err error
		dsn, err = withParam(dsn, "statement_timeout", fmt.Sprint(o.StatementTimeout.Milliseconds()))
		if err != nil {
			return nil, err
		}
	}
	conn, err := newConnector(dsn, o.Observe)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	sqldb := sql.OpenDB(conn)
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 20
	}
	sqldb.SetMaxOpenConns(o.MaxOpenConns)
	sqldb.SetMaxIdleConns(o.MaxOpenConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{DB: sqlx.NewDb(sqldb, "postgres"), StatementTimeout: o.StatementTimeout, stmts: &stmtCache{}, workspaces: newWorkspaceCache()}, nil
}

// withParam adds a run-time parameter to a DSN of either form (lib/pq sends
// unknown keys to the server as run-time parameters).
func withParam(dsn, key, value string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("database url: %w", err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " " + key + "=" + value, nil
}

// maxAttempts bounds retries of serialization failures and deadlocks.
const maxAttempts = 5

// Transact runs fn in a transaction. It commits when fn returns nil and rolls
// back on an error or a panic (re-raised after rollback). Serialization failures
// and deadlocks are retried up to maxAttempts times with a short backoff.
func (db *DB) Transact(ctx context.Context, fn func(tx *sqlx.Tx) error) (err error) {
	for attempt := 1; ; attempt++ {
		err = db.transactOnce(ctx, fn)
		if err == nil || attempt == maxAttempts || !IsRetryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

func (db *DB) transactOnce(ctx context.Context, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return classify(err)
	}
	return classify(tx.Commit())
}

// ErrorKind classifies a database failure by what a caller can do about it.
type ErrorKind int

const (
	// Unknown is any failure without a better class.
	Unknown ErrorKind = iota
	// UniqueViolation is SQLSTATE 23505; Error.Constraint names the index.
	UniqueViolation
	// Retryable is a serialization failure (40001) or deadlock (40P01).
	Retryable
	// Unavailable means the server cannot be reached or is shutting down.
	Unavailable
	// Canceled means the statement was canceled: statement timeout or request gone.
	Canceled
	// InvalidInput means PostgreSQL rejected a value (e.g. a NUL byte in text).
	InvalidInput
)

// Error is a classified database failure. Its message never reaches clients.
type Error struct {
	Kind       ErrorKind
	Constraint string
	Err        error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("db: not found")

// classify wraps err in *Error, translating SQLSTATEs.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) {
		return err
	}
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	e := &Error{Kind: Unknown, Err: err}
	var pe *pq.Error
	switch {
	case errors.As(err, &pe):
		switch {
		case pe.Code == "23505":
			e.Kind, e.Constraint = UniqueViolation, pe.Constraint
		case pe.Code == "40001" || pe.Code == "40P01":
			e.Kind = Retryable
		case pe.Code == "57014":
			e.Kind = Canceled
		case pe.Code.Class() == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300":
			e.Kind = Unavailable
		case pe.Code.Class() == "22":
			e.Kind = InvalidInput
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Kind = Canceled
	case isConnError(err):
		e.Kind = Unavailable
	}
	return e
}

// Classify is classify for callers outside the package.
func Classify(err error) error { return classify(err) }

// IsRetryable reports whether err is a serialization failure or deadlock.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == Retryable
}

// KindOf returns the ErrorKind of err (Unknown when it is not a classified error).
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(classify(err), &e) {
		return e.Kind
	}
	return Unknown
}
