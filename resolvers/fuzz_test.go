package resolvers

import (
	"testing"
	"time"

	"pivotal/apperr"
)

// FuzzParseRef: any path id is a display id, a cuid-shaped id, or nothing —
// never a panic, and never a display id that is not positive.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "cjld2cjxh0000qzrmn831i7rn", "99999999999999999999", "", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		ref, ok := parseRef(id)
		if !ok {
			return
		}
		switch {
		case ref.DisplayID > 0 && ref.ID == "":
		case ref.DisplayID == 0 && isCUID(ref.ID) && ref.ID == id:
		default:
			t.Fatalf("parseRef(%q) = %+v", id, ref)
		}
	})
}

// FuzzCursor: decoding arbitrary GraphQL cursors and REST cursor times fails
// only with a 400, and a decoded cursor encodes back to the same instant.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)))
	f.Add("dDoyMDI0LTAxLTAxVDAwOjAwOjAwWg")
	f.Add("2024-01-01T00:00:00.000000Z")
	f.Fuzz(func(t *testing.T, s string) {
		if tm, err := decodeCursor(s); err != nil {
			if e := apperr.From(err); e == nil || e.Kind != apperr.Invalid {
				t.Fatalf("decodeCursor(%q): %v", s, err)
			}
		} else if back, err := decodeCursor(encodeCursor(tm)); err != nil || !back.Equal(tm.Truncate(time.Microsecond)) {
			t.Fatalf("cursor %q: %v round-trips to %v (%v)", s, tm, back, err)
		}
		if _, err := ParseCursorTime(s); err != nil {
			if e := apperr.From(err); e == nil || e.Kind != apperr.Invalid {
				t.Fatalf("ParseCursorTime(%q): %v", s, err)
			}
		}
		if _, err := ListArgsFromGraphQL(nil, &s, 20); err != nil {
			if e := apperr.From(err); e == nil || e.Kind != apperr.Invalid {
				t.Fatalf("ListArgsFromGraphQL(after %q): %v", s, err)
			}
		}
	})
}
