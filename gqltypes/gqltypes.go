// Package gqltypes holds the custom GraphQL scalars: Time, emitted exactly as the
// REST contract prints timestamps, and JSON, an object carried through untouched.
package gqltypes

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"pivotal/apperr"
)

// TimeLayout prints UTC with exactly six fractional digits and a Z, keeping
// trailing zeros: 2026-05-26T17:21:09.412000Z.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// Scalar input errors are the client's (400, BAD_USER_INPUT), not internal:
// gqlgen reports them with the argument's path.
var (
	errTime = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_type", Message: "Time must be an RFC 3339 string"}
	errJSON = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_type", Message: "JSON must be an object"}
)

// Time is a timestamp scalar.
type Time time.Time

// MarshalGQL writes the timestamp as a JSON string in TimeLayout.
func (t Time) MarshalGQL(w io.Writer) {
	io.WriteString(w, strconv.Quote(FormatTime(time.Time(t))))
}

// UnmarshalGQL accepts an RFC 3339 string.
func (t *Time) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return errTime
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return errTime
	}
	*t = Time(p)
	return nil
}

// JSON is a JSON object kept as its encoded bytes, so that what a client stored
// comes back intact.
type JSON json.RawMessage

// MarshalGQL writes the object as it is stored.
func (j JSON) MarshalGQL(w io.Writer) {
	if len(j) == 0 {
		io.WriteString(w, "{}")
		return
	}
	w.Write(j)
}

// UnmarshalGQL accepts a JSON object given as a variable or an inline literal.
func (j *JSON) UnmarshalGQL(v any) error {
	if _, ok := v.(map[string]any); !ok {
		return errJSON
	}
	b, err := json.Marshal(v)
	if err != nil {
		return errJSON
	}
	*j = JSON(bytes.TrimSpace(b))
	return nil
}

// Time returns t as a time.Time.
func (t Time) Time() time.Time { return time.Time(t) }
