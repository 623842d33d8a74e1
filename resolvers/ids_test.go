package resolvers

import (
	"strings"
	"testing"

	"pivotal/graph/model"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		in      string
		display int64
		id      string
		ok      bool
	}{
		{"42", 42, "", true},
		{"0", 0, "", false},
		{"99999999999999999999", 0, "", false},
		{"cabcdefghijklmnopqrstuvwx", 0, "cabcdefghijklmnopqrstuvwx", true},
		{"aurora", 0, "", false},
		{"", 0, "", false},
		{"-1", 0, "", false},
		{"c" + strings.Repeat("A", 24), 0, "", false},
	}
	for _, c := range cases {
		r, ok := parseRef(c.in)
		if ok != c.ok || (ok && (r.DisplayID != c.display || r.ID != c.id)) {
			t.Errorf("parseRef(%q) = %+v, %v", c.in, r, ok)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	a, err := ListArgsFromGraphQL(nil, nil, 20)
	if err != nil || a.Limit != 20 || a.Before != nil {
		t.Fatalf("defaults: %+v %v", a, err)
	}
	p := CustomerConnection(&CustomerPage{Customers: []*model.Customer{{ID: "c1"}}, HasMore: true})
	a, err = ListArgsFromGraphQL(nil, p.PageInfo.EndCursor, 20)
	if err != nil || a.Before == nil {
		t.Fatalf("a cursor we made does not parse: %v", err)
	}
	for _, bad := range []string{"", "x", "dDoyMDI2", "!!!"} {
		if _, err := ListArgsFromGraphQL(nil, &bad, 20); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}
