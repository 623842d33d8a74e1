// Package rest answers the documented Pivotal REST v1 routes. Handlers are
// thin: decode the request into the resolver's input, call the same resolver
// method GraphQL calls, and render the REST envelope.
package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"pivotal/apperr"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

// statuses is the REST half of the error vocabulary: kind → HTTP status and
// error type. The pairing is fixed by the contract (spec §2).
var statuses = map[apperr.Kind]struct {
	status int
	typ    string
}{
	apperr.Invalid:          {http.StatusBadRequest, "invalid_request_error"},
	apperr.Unauthenticated:  {http.StatusUnauthorized, "authentication_error"},
	apperr.NotFound:         {http.StatusNotFound, "not_found"},
	apperr.Conflict:         {http.StatusConflict, "conflict"},
	apperr.RateLimited:      {http.StatusTooManyRequests, "rate_limit_error"},
	apperr.Internal:         {http.StatusInternalServerError, "internal_error"},
	apperr.Unavailable:      {http.StatusServiceUnavailable, "internal_error"},
	apperr.TooLarge:         {http.StatusRequestEntityTooLarge, "invalid_request_error"},
	apperr.UnsupportedMedia: {http.StatusUnsupportedMediaType, "invalid_request_error"},
	apperr.MethodNotAllowed: {http.StatusMethodNotAllowed, "invalid_request_error"},
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Status returns the HTTP status of an application error.
func Status(e *apperr.Error) int { return statuses[e.Kind].status }

// WriteError writes e in the documented envelope with its status. Callers turn
// unknown errors into application errors first (resolvers.Internal).
func WriteError(w http.ResponseWriter, e *apperr.Error) {
	s := statuses[e.Kind]
	SetErrorHeaders(w.Header(), e)
	WriteJSON(w, s.status, errorBody{errorDetail{Type: s.typ, Code: e.Code, Message: e.Message, Field: e.Field}})
}

// SetErrorHeaders sets the headers an error carries besides its body:
// Retry-After, and Allow on a 405.
func SetErrorHeaders(h http.Header, e *apperr.Error) {
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if len(e.Allow) > 0 {
		h.Set("Allow", strings.Join(e.Allow, ", "))
	}
}

// Encode renders v as the API prints JSON: no HTML escaping, one trailing newline.
func Encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := Encode(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"type":"internal_error","code":"internal_error","message":"An internal error occurred."}}` + "\n")
	}
	WriteRaw(w, status, b)
}

// WriteRaw writes an encoded JSON body with status.
func WriteRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// created renders a mutation's result as the REST POST that made it answers.
// The idempotency hook renders with it inside the write's transaction, so a
// POST route whose resolver returns a new type needs one line here.
func created(v any) (result, error) {
	switch v := v.(type) {
	case *model.Customer:
		return result{http.StatusCreated, customerOut(v)}, nil
	case *model.Contact:
		return result{http.StatusCreated, contactOut(v)}, nil
	case *model.Onboarding:
		return result{http.StatusCreated, onboardingOut(v)}, nil
	case *resolvers.Deleted:
		return result{http.StatusOK, deletedJSON(v)}, nil
	}
	return result{}, fmt.Errorf("rest: no REST rendering of %T for an idempotent POST", v)
}
