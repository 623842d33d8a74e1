package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"pivotal/apperr"
	"pivotal/gqltypes"
)

// body is a decoded JSON object whose fields are read in the contract's order.
// The first type failure is kept (spec §8: types are checked after required
// fields, in field order); later reads are no-ops that return zero values.
type body struct {
	fields map[string]json.RawMessage
	err    *apperr.Error
}

// decodeBody reads the request body as a JSON object.
func decodeBody(r *http.Request) (*body, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, &apperr.Error{Kind: apperr.UnsupportedMedia, Code: "unsupported_media_type",
			Message: "The request body must be JSON, sent with Content-Type: application/json."}
	}
	raw, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, apperr.BodyTooLarge()
	}
	if err != nil {
		return nil, apperr.InvalidJSON("The request body could not be read.")
	}
	return parseBody(raw)
}

// parseBody parses raw as one JSON object with nothing after it.
func parseBody(raw []byte) (*body, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, apperr.InvalidJSON("The request body must be a JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, apperr.InvalidJSON("The request body must be a single JSON object.")
	}
	return &body{fields: fields}, nil
}

// require reports the first of names absent from the body.
func (b *body) require(names ...string) error {
	for _, n := range names {
		if _, ok := b.fields[n]; !ok {
			return apperr.MissingField(n)
		}
	}
	return nil
}

func (b *body) fail(e *apperr.Error) {
	if b.err == nil {
		b.err = e
	}
}

// raw returns the field's JSON, whether it is present, and whether it is null.
func (b *body) raw(name string) (json.RawMessage, bool, bool) {
	v, ok := b.fields[name]
	if !ok {
		return nil, false, false
	}
	return v, true, bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// check returns the error of the first failing field, if any.
func (b *body) check() error {
	if b.err != nil {
		return b.err
	}
	return nil
}

func (b *body) str(name string, nullable bool) graphql.Omittable[*string] {
	v, ok, null := b.raw(name)
	switch {
	case !ok:
		return graphql.Omittable[*string]{}
	case null:
		if !nullable {
			b.fail(apperr.InvalidType(name, "a string"))
		}
		return graphql.OmittableOf[*string](nil)
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		b.fail(apperr.InvalidType(name, "a string"))
		return graphql.Omittable[*string]{}
	}
	return graphql.OmittableOf(&s)
}

func (b *body) boolean(name string, nullable bool) graphql.Omittable[*bool] {
	v, ok, null := b.raw(name)
	switch {
	case !ok:
		return graphql.Omittable[*bool]{}
	case null:
		if !nullable {
			b.fail(apperr.InvalidType(name, "a boolean"))
		}
		return graphql.OmittableOf[*bool](nil)
	}
	var x bool
	if json.Unmarshal(v, &x) != nil {
		b.fail(apperr.InvalidType(name, "a boolean"))
		return graphql.Omittable[*bool]{}
	}
	return graphql.OmittableOf(&x)
}

func (b *body) integer(name string, nullable bool) graphql.Omittable[*int] {
	v, ok, null := b.raw(name)
	switch {
	case !ok:
		return graphql.Omittable[*int]{}
	case null:
		if !nullable {
			b.fail(apperr.InvalidType(name, "an integer"))
		}
		return graphql.OmittableOf[*int](nil)
	}
	var num json.Number
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	if c := v[0]; !(c == '-' || c >= '0' && c <= '9') || d.Decode(&num) != nil || strings.ContainsAny(string(num), ".eE") {
		b.fail(apperr.InvalidType(name, "an integer"))
		return graphql.Omittable[*int]{}
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || n > math.MaxInt {
		if strings.HasPrefix(string(num), "-") {
			b.fail(apperr.TooSmall(name, "%s is too small", name))
		} else {
			b.fail(apperr.TooBig(name, "%s is too big", name))
		}
		return graphql.Omittable[*int]{}
	}
	x := int(n)
	return graphql.OmittableOf(&x)
}

// object reads a JSON object; null is present-and-null.
func (b *body) object(name string) graphql.Omittable[gqltypes.JSON] {
	v, ok, null := b.raw(name)
	switch {
	case !ok:
		return graphql.Omittable[gqltypes.JSON]{}
	case null:
		return graphql.OmittableOf[gqltypes.JSON](nil)
	}
	if bytes.TrimSpace(v)[0] != '{' {
		b.fail(apperr.InvalidType(name, "an object"))
		return graphql.Omittable[gqltypes.JSON]{}
	}
	var c bytes.Buffer
	if err := json.Compact(&c, v); err != nil {
		b.fail(apperr.InvalidType(name, "an object"))
		return graphql.Omittable[gqltypes.JSON]{}
	}
	return graphql.OmittableOf(gqltypes.JSON(c.Bytes()))
}

// stringList reads an array of strings; a wrong element is reported as name.i.
func (b *body) stringList(name string, nullable bool) graphql.Omittable[[]string] {
	v, ok, null := b.raw(name)
	switch {
	case !ok:
		return graphql.Omittable[[]string]{}
	case null:
		if !nullable {
			b.fail(apperr.InvalidType(name, "an array of strings"))
		}
		return graphql.OmittableOf[[]string](nil)
	}
	var items []json.RawMessage
	if bytes.TrimSpace(v)[0] != '[' || json.Unmarshal(v, &items) != nil {
		b.fail(apperr.InvalidType(name, "an array of strings"))
		return graphql.Omittable[[]string]{}
	}
	out := make([]string, len(items))
	for i, it := range items {
		if len(it) == 0 || it[0] != '"' || json.Unmarshal(it, &out[i]) != nil {
			b.fail(apperr.InvalidType(name+"."+strconv.Itoa(i), "a string"))
			return graphql.Omittable[[]string]{}
		}
	}
	return graphql.OmittableOf(out)
}
