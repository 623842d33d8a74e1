package resolvers

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"pivotal/apperr"
	"pivotal/db"
)

// gqlCodes maps error kinds to GraphQL extensions.code: the GraphQL half of the
// vocabulary (the REST half is rest/render.go).
var gqlCodes = map[apperr.Kind]string{
	apperr.Internal:         "INTERNAL",
	apperr.Invalid:          "BAD_USER_INPUT",
	apperr.Unauthenticated:  "UNAUTHENTICATED",
	apperr.NotFound:         "NOT_FOUND",
	apperr.Conflict:         "CONFLICT",
	apperr.RateLimited:      "RATE_LIMITED",
	apperr.Unavailable:      "SERVICE_UNAVAILABLE",
	apperr.TooLarge:         "BAD_USER_INPUT",
	apperr.UnsupportedMedia: "BAD_USER_INPUT",
	apperr.MethodNotAllowed: "METHOD_NOT_ALLOWED",
}

// GraphQLCode returns the extensions.code of kind.
func GraphQLCode(kind apperr.Kind) string { return gqlCodes[kind] }

// Extensions returns the GraphQL error extensions for e: the GraphQL code, the
// REST code as errorCode, and the field in camelCase.
func Extensions(e *apperr.Error) map[string]any {
	ext := map[string]any{"code": gqlCodes[e.Kind], "errorCode": e.Code}
	if e.Field != "" {
		ext["field"] = CamelPath(e.Field)
	}
	if e.RetryAfter > 0 {
		ext["retryAfter"] = e.RetryAfter
	}
	return ext
}

// CamelPath turns a REST field path (monthly_orders, labels.2) into GraphQL's
// spelling (monthlyOrders, labels.2).
func CamelPath(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// ErrorPresenter turns any resolver error into a GraphQL error whose extensions
// carry the vocabulary; unknown errors are logged and shown as opaque.
func (r *Resolver) ErrorPresenter(requestID func(context.Context) string) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var inner *gqlerror.Error
		if errors.As(err, &inner) && inner.Extensions != nil && apperr.From(err) == nil {
			// Parse and validation errors from gqlgen keep their own shape. A
			// variable's value that does not coerce (gqlparser's path starts
			// with "variable") is the client's input: BAD_USER_INPUT, as for the
			// values httpapi's coercion check refuses.
			if len(gerr.Path) > 0 && gerr.Path[0] == ast.PathName("variable") && gerr.Extensions["code"] == errcode.ValidationFailed {
				gerr.Extensions["code"] = "BAD_USER_INPUT"
			}
			return gerr
		}
		e := apperr.From(err)
		if e == nil && inner != nil && inner.Err == nil && len(inner.Path) == 0 {
			// gqlgen's own complaint about the request as a whole (a body that is
			// not JSON, say): the client's fault, and its text may echo the body.
			e = requestError(inner.Message)
		}
		if e == nil {
			e = r.internal(ctx, err, requestID(ctx))
		}
		gerr.Message = e.Message
		gerr.Extensions = Extensions(e)
		return gerr
	}
}

// internal logs an unexpected error and returns what the client may see.
func (r *Resolver) internal(ctx context.Context, err error, requestID string) *apperr.Error {
	if db.KindOf(err) == db.Unavailable {
		r.unavailable.log(ctx, r.Log, err)
		return apperr.ServiceUnavailable()
	}
	if db.KindOf(err) == db.Canceled || errors.Is(err, context.DeadlineExceeded) {
		switch {
		case ctx.Err() == nil, errors.Is(ctx.Err(), context.DeadlineExceeded):
			// The statement timeout or the request deadline (httpmw.Timeout):
			// slow, not broken — the client may retry.
			e := apperr.New(apperr.Unavailable, "statement_timeout", "The request took too long and was canceled. Ask for less, or retry.")
			e.RetryAfter = 1
			return e
		default:
			// The client went away; nobody reads this answer, and it is no server fault.
			return apperr.ServiceUnavailable()
		}
	}
	r.Log.ErrorContext(ctx, "internal error", "err", err.Error(), "request_id", requestID)
	return apperr.InternalError(requestID)
}

// Internal converts a non-application error into what a client may see,
// logging it. Application errors pass through unchanged.
func (r *Resolver) Internal(ctx context.Context, err error, requestID string) *apperr.Error {
	if e := apperr.From(err); e != nil {
		return e
	}
	return r.internal(ctx, err, requestID)
}

// notFound translates db.ErrNotFound into object's 404 and passes other errors on.
func notFound(err error, object string) error {
	if errors.Is(err, db.ErrNotFound) {
		return apperr.NotFoundError(object)
	}
	return err
}

// invalidValue maps PostgreSQL's rejection of a value (a NUL byte in text, say)
// to a 400 rather than a 500.
func invalidValue(err error) error {
	if db.KindOf(err) == db.InvalidInput {
		return apperr.New(apperr.Invalid, "invalid_string", "A value contains characters that cannot be stored.")
	}
	return err
}

// requestError is the client's view of a request gqlgen refused before
// execution, without echoing the request.
func requestError(msg string) *apperr.Error {
	if strings.HasPrefix(msg, "json request body could not be decoded") {
		return apperr.InvalidJSON("The request body must be a JSON object with a query, within 10,000 levels of nesting.")
	}
	if i := strings.Index(msg, " body:"); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return apperr.New(apperr.Invalid, "invalid_request", "%s", strings.ToValidUTF8(msg, "\uFFFD"))
}

// unavailableLog tells operators the database is away without a line per
// failing request: at most one warning a second, counting the rest.
type unavailableLog struct {
	last       atomic.Int64 // unix nanoseconds of the last warning
	suppressed atomic.Int64
}

func (u *unavailableLog) log(ctx context.Context, log *slog.Logger, err error) {
	now := time.Now().UnixNano()
	last := u.last.Load()
	if now-last < int64(time.Second) || !u.last.CompareAndSwap(last, now) {
		u.suppressed.Add(1)
		return
	}
	log.WarnContext(ctx, "database unavailable; answering 503", "err", err.Error(),
		"suppressed_since_last", u.suppressed.Swap(0))
}
