// Package apperr is the one error vocabulary of the server: a typed application
// error (kind, code, message, field) produced by every layer and mapped to the
// wire in exactly two tables: rest/render.go (REST envelope and status) and
// resolvers/errors.go (GraphQL extensions). Anything that is not an *Error is
// an internal error and is shown to clients only as an opaque message.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is what a client can do about an error. The list is append-only.
type Kind int

const (
	Internal Kind = iota
	Invalid
	Unauthenticated
	NotFound
	Conflict
	RateLimited
	Unavailable
	TooLarge
	UnsupportedMedia
	MethodNotAllowed
)

// Error is an application error. Code is the stable REST code (snake_case);
// Field names the offending request property, when there is one.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	// RetryAfter, in seconds, for RateLimited and Unavailable.
	RetryAfter int
	// Allow lists the methods the resource does answer, for MethodNotAllowed
	// (the Allow header every 405 carries, RFC 9110 §15.5.6).
	Allow []string
}

func (e *Error) Error() string { return e.Message }

// New returns an error of kind with code and a formatted message.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// OnField returns a copy of e about field.
func (e *Error) OnField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// From returns the *Error in err's chain, or nil.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Match reports whether err is an application error with code.
func Match(err error, code string) bool {
	e := From(err)
	return e != nil && e.Code == code
}

// Validation errors (400).
func MissingField(field string) *Error {
	return &Error{Kind: Invalid, Code: "missing_field", Message: field + " is required", Field: field}
}

func InvalidType(field, want string) *Error {
	return &Error{Kind: Invalid, Code: "invalid_type", Message: fmt.Sprintf("%s must be %s", field, want), Field: field}
}

func TooSmall(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "too_small", Message: fmt.Sprintf(format, args...), Field: field}
}

func TooBig(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "too_big", Message: fmt.Sprintf(format, args...), Field: field}
}

func InvalidEnum(field string, allowed []string) *Error {
	return &Error{Kind: Invalid, Code: "invalid_enum_value", Field: field,
		Message: fmt.Sprintf("%s must be one of: %s", field, joinQuoted(allowed))}
}

func InvalidString(field, message string) *Error {
	return &Error{Kind: Invalid, Code: "invalid_string", Message: message, Field: field}
}

func InvalidJSON(message string) *Error {
	return &Error{Kind: Invalid, Code: "invalid_json", Message: message}
}

// BodyTooLarge is the 413 for a request body over the 1 MiB limit (spec §8).
func BodyTooLarge() *Error {
	return &Error{Kind: TooLarge, Code: "body_too_large", Message: "The request body must be at most 1 MiB."}
}

// NotFoundError is the 404 for an object kind: customer_not_found and so on.
func NotFoundError(object string) *Error {
	return &Error{Kind: NotFound, Code: object + "_not_found", Message: fmt.Sprintf("No such %s.", strings.ReplaceAll(object, "_", " "))}
}

// InternalError is what clients see of a failure the server did not expect.
func InternalError(requestID string) *Error {
	msg := "An internal error occurred."
	if requestID != "" {
		msg = fmt.Sprintf("An internal error occurred. Request id: %s.", requestID)
	}
	return &Error{Kind: Internal, Code: "internal_error", Message: msg}
}

// MethodNotAllowedError is the 405 for a method the resource does not answer;
// allow lists the ones it does (the Allow header). It is the only way the
// server makes a 405, REST and GraphQL alike.
func MethodNotAllowedError(method string, allow ...string) *Error {
	return &Error{Kind: MethodNotAllowed, Code: "method_not_allowed",
		Message: "Method " + method + " is not allowed on this route.", Allow: allow}
}

// ServiceUnavailable is the 503 for a database that cannot be reached.
func ServiceUnavailable() *Error {
	return &Error{Kind: Unavailable, Code: "service_unavailable",
		Message: "The service is temporarily unavailable. Please retry shortly.", RetryAfter: 2}
}

func joinQuoted(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}
