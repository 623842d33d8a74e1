// Package gqltypes holds the custom GraphQL scalars: Time, emitted exactly as the
// REST contract prints timestamps, and JSON, an object carried through untouched.
package gqltypes

import (
	"encoding/json"
	"io"
	"sort"
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
// It is stored as appendJSON writes it, so what a client sends through
// GraphQL comes back as the same text REST keeps for the same object sent
// compactly (as JSON.stringify writes it).
func (j *JSON) UnmarshalGQL(v any) error {
	if _, ok := v.(map[string]any); !ok {
		return errJSON
	}
	b, err := appendJSON(nil, v)
	if err != nil {
		return errJSON
	}
	*j = JSON(b)
	return nil
}

// appendJSON appends v, a value as gqlgen decodes JSON variables and literals
// (objects, arrays, strings, json.Number, int64, float64, bool, nil), as
// compact JSON with keys sorted (gqlgen's maps keep no order). Unlike
// encoding/json, it escapes in strings only what JSON requires: &, <, > and
// U+2028/U+2029 stay as they are, so they do not come back as \u0026.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendString(b, v), nil
	case json.Number:
		if !json.Valid([]byte(v)) {
			return nil, errJSON
		}
		return append(b, v...), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendString(b, k), ':')
			var err error
			if b, err = appendJSON(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	x, err := json.Marshal(v) // float64 from a literal: JavaScript's number format
	if err != nil {
		return nil, err
	}
	return append(b, x...), nil
}

// appendString writes s as a JSON string the way JSON.stringify does: quote,
// backslash and control characters escaped (\n, \t … or \u00XX), nothing else.
// Invalid UTF-8 cannot occur: the JSON decoder replaced it.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// Time returns t as a time.Time.
func (t Time) Time() time.Time { return time.Time(t) }
