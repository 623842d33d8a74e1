package auth

import (
	"strings"
	"testing"
)

// FuzzParseKey: a key is accepted only in its exact shape, and every key
// NewKey makes is accepted.
func FuzzParseKey(f *testing.F) {
	live, _ := NewKey(false)
	test, _ := NewKey(true)
	for _, s := range []string{live, test, "pivotal_", "pivotal_test_", live[:len(live)-1], live + "x", "PIVOTAL_" + live[8:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, ok := ParseKey(key)
		if !ok {
			return
		}
		if p.Key != key {
			t.Fatalf("ParseKey(%q).Key = %q", key, p.Key)
		}
		prefix := LivePrefix
		if !p.Livemode {
			prefix = TestPrefix
		}
		secret, found := strings.CutPrefix(key, prefix)
		if !found || len(secret) != secretLen || strings.Trim(secret, base62) != "" {
			t.Fatalf("ParseKey accepted %q (live %v)", key, p.Livemode)
		}
	})
}

// FuzzBearerToken: a token is one non-empty word after a case-insensitive
// "Bearer ".
func FuzzBearerToken(f *testing.F) {
	k, _ := NewKey(false)
	for _, s := range []string{"Bearer " + k, "bearer  " + k + " ", "Basic abc", "Bearer", "Bearer a b", "Bearer \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, ok := BearerToken(header)
		if !ok {
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t") || !strings.Contains(header, tok) ||
			!strings.EqualFold(header[:7], "Bearer ") {
			t.Fatalf("BearerToken(%q) = %q", header, tok)
		}
	})
}
