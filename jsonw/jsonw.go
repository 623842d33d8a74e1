// Package jsonw appends JSON values to a byte slice, without reflection, in
// exactly the bytes the reference encoders print: gqlgen's as encoding/json
// writes it in a response (GraphQL), and encoding/json's without HTML
// escaping (the REST API). The read path
// writes whole responses with it straight from database rows.
package jsonw

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

const upperHex = "0123456789ABCDEF"
const lowerHex = "0123456789abcdef"

// GraphQLString appends s quoted as a GraphQL response carries it: as gqlgen's
// graphql.MarshalString writes it (", \ and the control characters below 0x20
// escaped; \t \r \n by name, the others as \u00XX in upper case), then as
// encoding/json prints that in a response (CompactHTML: < > & as \u003c
// \u003e \u0026, U+2028 and U+2029 as \u2028 \u2029). Every other byte is
// written as it is, invalid UTF-8 too.
func GraphQLString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !graphQLSpecial[c] {
			continue
		}
		switch c {
		case 0xE2:
			if i+2 >= len(s) || s[i+1] != 0x80 || s[i+2]&^1 != 0xA8 {
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[s[i+2]&0xf])
			i += 2
		case '<', '>', '&':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
		case '\t':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 't')
		case '\r':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'r')
		case '\n':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'n')
		case '\\', '"':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', upperHex[c>>4], upperHex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// graphQLSpecial are the bytes GraphQLString looks at.
var graphQLSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		t[c] = true
	}
	return t
}()

// RESTString appends s quoted as encoding/json's Encoder with SetEscapeHTML(false)
// writes it: \b \f \n \r \t by name, other control characters as \u00xx,
// U+2028 and U+2029 escaped, invalid UTF-8 replaced by \ufffd.
func RESTString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Compact appends the JSON text src with insignificant space removed, as
// encoding/json prints a json.RawMessage without HTML escaping.
func Compact(dst, src []byte) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	if err := json.Compact(b, src); err != nil {
		return dst, err
	}
	return b.Bytes(), nil
}

// ErrArray means a PostgreSQL array literal could not be read.
var ErrArray = errors.New("jsonw: malformed array literal")

// StringArray appends PostgreSQL's text form of a one-dimensional text[] as a
// JSON array of strings, each quoted by quote (GraphQLString or RESTString).
// Elements are as PostgreSQL prints them: bare, or double-quoted with \
// escapes; a bare NULL is refused (labels hold no nulls).
func StringArray(dst, lit []byte, quote func(dst, s []byte) []byte) ([]byte, error) {
	if len(lit) < 2 || lit[0] != '{' || lit[len(lit)-1] != '}' {
		return dst, ErrArray
	}
	body := lit[1 : len(lit)-1]
	dst = append(dst, '[')
	if len(body) == 0 {
		return append(dst, ']'), nil
	}
	var elem []byte
	for i, n := 0, 0; ; n++ {
		if n > 0 {
			dst = append(dst, ',')
		}
		if i < len(body) && body[i] == '"' {
			elem = elem[:0]
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
					if i == len(body) {
						return dst, ErrArray
					}
				}
				elem = append(elem, body[i])
			}
			if i == len(body) {
				return dst, ErrArray
			}
			i++
			dst = quote(dst, elem)
		} else {
			j := bytes.IndexByte(body[i:], ',')
			if j < 0 {
				j = len(body) - i
			}
			e := body[i : i+j]
			if len(e) == 0 || string(e) == "NULL" {
				return dst, ErrArray
			}
			dst = quote(dst, e)
			i += j
		}
		if i == len(body) {
			return append(dst, ']'), nil
		}
		if body[i] != ',' {
			return dst, ErrArray
		}
		i++
	}
}

// CompactHTML appends the JSON text src as encoding/json's Encoder, with its
// default HTML escaping, prints a json.RawMessage holding it: the space
// between tokens removed, < > & written \u003c \u003e \u0026 and U+2028 U+2029
// written \u2028 \u2029, every other byte as it is. It is how the GraphQL
// transport writes a response's data (the executor's or a read plan's)
// without encoding/json's scanner, in one pass. src must be valid JSON, as
// both writers produce; unlike encoding/json, CompactHTML does not check it.
func CompactHTML(dst, src []byte) []byte {
	dst, _ = compactHTML(dst, src, false)
	return dst
}

// compactHTML is CompactHTML's one pass. With check it writes nothing and
// stops at the first byte it would change, reporting whether there was none.
func compactHTML(dst, src []byte, check bool) ([]byte, bool) {
	start, inString := 0, false
	for i := 0; i < len(src); i++ {
		// Skip the bytes printed as they are, most of any response.
		if inString {
			for i < len(src) && !stringSpecial[src[i]] {
				i++
			}
		} else {
			for i < len(src) && !tokenSpecial[src[i]] {
				i++
			}
		}
		if i == len(src) {
			break
		}
		c := src[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			if check {
				return nil, false
			}
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			start = i + 1
		case c == 0xE2:
			if i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8 {
				if check {
					return nil, false
				}
				dst = append(dst, src[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[src[i+2]&0xf])
				i += 2
				start = i + 1
			}
		case inString:
			if c == '\\' {
				i++ // the escaped byte: one of "\/bfnrtu, never special here
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		default: // space between tokens
			if check {
				return nil, false
			}
			dst = append(dst, src[start:i]...)
			start = i + 1
		}
	}
	if check {
		return nil, true
	}
	return append(dst, src[start:]...), true
}

// stringSpecial and tokenSpecial are the bytes CompactHTML looks at inside a
// string and between tokens.
var stringSpecial, tokenSpecial = func() (s, t [256]bool) {
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		s[c] = true
	}
	for _, c := range []byte{'"', '<', '>', '&', 0xE2, ' ', '\t', '\n', '\r'} {
		t[c] = true
	}
	return s, t
}()

// IsCompactHTML reports whether CompactHTML would append src unchanged: no
// space between tokens, no < > & and no U+2028 or U+2029. src must be valid
// JSON. A read plan's response usually is, and is then written as it is.
func IsCompactHTML(src []byte) bool {
	_, same := compactHTML(nil, src, true)
	return same
}
