// Package httpmw holds the HTTP middleware shared by /graphql and /api/v1:
// request ids, access logs, panic recovery, body limits and authentication.
// Errors are written by the ErrorWriter of the surface being served, so REST
// clients get the REST envelope and GraphQL clients a GraphQL error.
package httpmw

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/db"
)

// ErrorWriter writes an application error in a surface's own format.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, e *apperr.Error)

type requestIDKey struct{}

// RequestIDFrom returns the request id of ctx ("" outside a request).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// saneRequestID accepts an inbound id of 1–64 visible ASCII characters without quotes.
func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// RequestID keeps a sane inbound X-Request-Id or makes one, and echoes it.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = "req_" + hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// statusRecorder remembers what was written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Observer is told of each finished request (metrics).
type Observer func(r *http.Request, route string, status int, d time.Duration)

// AccessLog logs one line per request with the route pattern, status, duration,
// SQL statement count, key prefix and workspace — never the key itself.
func AccessLog(log *slog.Logger, observe Observer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ctx, stats := r.Context(), db.StatsFrom(r.Context())
			if stats == nil {
				ctx, stats = db.WithStats(ctx)
			}
			holder := &identityHolder{}
			ctx = context.WithValue(ctx, identityHolderKey{}, holder)
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r.WithContext(ctx))
			d := time.Since(start)
			route := "unmatched"
			if rc := chi.RouteContext(ctx); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			attrs := []any{
				"request_id", RequestIDFrom(ctx), "method", r.Method, "route", route,
				"status", rec.status, "duration_ms", float64(d.Microseconds()) / 1000,
				"sql_statements", stats.Statements(), "sql_bytes", stats.SQLBytes(), "bytes", rec.bytes,
			}
			if id := holder.id; id != nil {
				attrs = append(attrs, "key_prefix", id.KeyPrefix, "workspace", id.WorkspaceSlug)
			}
			if holder.readPath != "" {
				attrs = append(attrs, "read_path", holder.readPath)
			}
			log.Log(ctx, accessLevel(route, rec.status), "request", attrs...)
			if observe != nil {
				observe(r, route, rec.status, d)
			}
		})
	}
}

// accessLevel is a request's log level. Health probes are INFO whatever they
// answer: a 503 from the deep check while the database starts is the probe
// working, not an error of the server (the cause is logged where it happens).
// Any other 503 is the server's deliberate "not now" (starting, database
// lost, deadline): WARN. Other 5xx are ERROR.
func accessLevel(route string, status int) slog.Level {
	switch {
	case route == "/api/v1/health" || route == "/api/health/deep" || status < 500:
		return slog.LevelInfo
	case status == http.StatusServiceUnavailable:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// identityHolder lets the access log see the identity found deeper in the
// chain, and which path answered a GraphQL operation.
type identityHolder struct {
	id       *auth.Identity
	readPath string
}
type identityHolderKey struct{}

// SetReadPath records, for the access log's read_path, which path answered
// the request's GraphQL operation: "plan" (a read plan) or "executor".
func SetReadPath(ctx context.Context, path string) {
	if h, ok := ctx.Value(identityHolderKey{}).(*identityHolder); ok {
		h.readPath = path
	}
}

// RecordIdentity tells the access log which key a request authenticated
// with when it did so itself (a WebSocket's connection_init).
func RecordIdentity(ctx context.Context, id *auth.Identity) {
	if h, ok := ctx.Value(identityHolderKey{}).(*identityHolder); ok {
		h.id = id
	}
}

// Recover turns a panic into the surface's 500, logged with the stack.
func Recover(log *slog.Logger, write ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					id := RequestIDFrom(r.Context())
					log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
					write(w, r, apperr.InternalError(id))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// MaxBodyBytes is the largest request body accepted (spec §8).
const MaxBodyBytes = 1 << 20

// BodyLimit caps request bodies; a declared larger body is refused at once.
func BodyLimit(write ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > MaxBodyBytes {
				write(w, r, apperr.BodyTooLarge())
				return
			}
			// Read the body here, whatever its framing (a chunked body declares no
			// length), so that both surfaces answer an oversized one with their 413
			// rather than finding out halfway through decoding.
			b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				write(w, r, apperr.BodyTooLarge())
				return
			case err != nil:
				write(w, r, apperr.InvalidJSON("The request body could not be read."))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			next.ServeHTTP(w, r)
		})
	}
}

// Authenticator resolves an Authorization header to an identity.
type Authenticator interface {
	Authenticate(ctx context.Context, header string) (*auth.Identity, error)
}

// Authenticate requires a valid key and puts its identity in the context.
// internal converts unexpected errors (database down) into application errors.
func Authenticate(a Authenticator, write ErrorWriter, internal func(context.Context, error) *apperr.Error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := a.Authenticate(r.Context(), r.Header.Get("Authorization"))
			if err != nil {
				write(w, r, internal(r.Context(), err))
				return
			}
			if h, ok := r.Context().Value(identityHolderKey{}).(*identityHolder); ok {
				h.id = id
			}
			next.ServeHTTP(w, r.WithContext(auth.WithIdentity(r.Context(), id)))
		})
	}
}

// Timeout gives every request a deadline d (0: none). The deadline reaches SQL
// through the context, so a request cannot hang on a lost database past it;
// the handler then answers 503 (resolvers.Internal maps the cancellation).
func Timeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if d <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
