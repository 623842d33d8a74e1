package resolvers

import (
	"strings"
	"testing"
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
