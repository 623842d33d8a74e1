package resolvers

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/gqltypes"
)

// parseRef reads an id as REST does: all digits is a display id, anything else a
// cuid. Slugs are not ids, so they simply name nothing.
// A string of neither form names nothing and is answered without a query.
func parseRef(id string) (db.Ref, bool) {
	if id != "" && strings.Trim(id, "0123456789") == "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return db.Ref{}, false
		}
		return db.Ref{DisplayID: n}, true
	}
	return db.Ref{ID: id}, isCUID(id)
}

// isCUID reports whether s has the shape of a cuid.
func isCUID(s string) bool {
	if len(s) != 25 || s[0] != 'c' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ParseCursorTime parses the REST cursor: an ISO 8601 datetime.
func ParseCursorTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, apperr.InvalidString("cursor", "Invalid datetime")
}

const cursorPrefix = "t:"

// encodeCursor makes the opaque GraphQL cursor of a row created at t.
func encodeCursor(t time.Time) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + gqltypes.FormatTime(t)))
}

// decodeCursor reverses encodeCursor; after is the argument name for errors.
func decodeCursor(s string) (time.Time, error) {
	bad := apperr.InvalidString("after", "after is not a valid cursor")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return time.Time{}, bad
	}
	t, err := time.Parse(time.RFC3339Nano, string(b[len(cursorPrefix):]))
	if err != nil {
		return time.Time{}, bad
	}
	return t, nil
}

// ListArgs is a page request in either interface's terms, already validated.
type ListArgs struct {
	Limit  int
	Before *time.Time
}

// MaxPage is the largest page any list returns.
const MaxPage = 100

// ListArgsFromGraphQL validates first/after.
func ListArgsFromGraphQL(first *int, after *string, def int) (ListArgs, error) {
	a := ListArgs{Limit: def}
	if first != nil {
		a.Limit = *first
	}
	if a.Limit < 1 {
		return a, apperr.TooSmall("first", "first must be at least 1")
	}
	if a.Limit > MaxPage {
		return a, apperr.TooBig("first", "first must be at most %d", MaxPage)
	}
	if after != nil {
		t, err := decodeCursor(*after)
		if err != nil {
			return a, err
		}
		a.Before = &t
	}
	return a, nil
}

func (a ListArgs) page() db.Page { return db.Page{Before: a.Before, Limit: a.Limit} }
