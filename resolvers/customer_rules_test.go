package resolvers

import (
	"strings"
	"testing"

	"pivotal/graph/model"
)

func TestDeriveSlug(t *testing.T) {
	cases := map[string]string{
		"Aurora Outfitters":       "aurora-outfitters",
		"  Cobalt Coffee Co. ":    "cobalt-coffee-co",
		"Birch & Bloom":           "birch-bloom",
		"ÉCOLE 42":                "cole-42",
		"日本語":                     "customer",
		"---":                     "customer",
		"a--b__c":                 "a-b-c",
		strings.Repeat("x", 150):  strings.Repeat("x", 100),
		strings.Repeat("ab ", 50): strings.TrimSuffix(strings.Repeat("ab-", 34)[:100], "-"),
	}
	for name, want := range cases {
		if got := DeriveSlug(name); got != want {
			t.Errorf("DeriveSlug(%q) = %q, want %q", name, got, want)
		}
		if got := DeriveSlug(name); !validSlug(got) {
			t.Errorf("DeriveSlug(%q) = %q is not a valid slug", name, got)
		}
	}
}

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

func TestEnumFromREST(t *testing.T) {
	if s := EnumFromREST[model.CustomerStatus]("at_risk"); s != model.CustomerStatusAtRisk {
		t.Errorf("at_risk → %q", s)
	}
	for _, bad := range []string{"AT_RISK", "At_risk", " active", "nope", ""} {
		if EnumFromREST[model.CustomerStatus](bad).IsValid() {
			t.Errorf("%q accepted", bad)
		}
	}
}
