package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	seen := map[string]bool{}
	for _, test := range []bool{false, true} {
		for i := 0; i < 200; i++ {
			key, prefix := NewKey(test)
			p, ok := ParseKey(key)
			if !ok || p.Livemode == test {
				t.Fatalf("NewKey(%v) = %q does not parse as its mode", test, key)
			}
			mode := LivePrefix
			if test {
				mode = TestPrefix
			}
			if !strings.HasPrefix(key, mode) || prefix != key[:len(mode)+8] {
				t.Fatalf("key %q prefix %q", key, prefix)
			}
			if seen[key] {
				t.Fatal("a key repeated")
			}
			seen[key] = true
		}
	}
}

func TestParseKey(t *testing.T) {
	valid := "pivotal_" + strings.Repeat("a", 32)
	cases := []struct {
		key  string
		ok   bool
		live bool
	}{
		{valid, true, true},
		{"pivotal_test_" + strings.Repeat("Z9", 16), true, false},
		{"pivotal_test_" + strings.Repeat("a", 31), false, false},
		{"pivotal_" + strings.Repeat("a", 33), false, false},
		{"pivotal_" + strings.Repeat("a", 31) + "-", false, false},
		{"sk_live_" + strings.Repeat("a", 32), false, false},
		{"", false, false},
	}
	for _, c := range cases {
		p, ok := ParseKey(c.key)
		if ok != c.ok || (ok && p.Livemode != c.live) {
			t.Errorf("ParseKey(%q) = %+v, %v", c.key, p, ok)
		}
	}
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer: abc", "", false},
		{"abc", "", false},
		{"Basic abc", "", false},
		{"Bearer a b", "", false},
	}
	for _, c := range cases {
		tok, ok := BearerToken(c.header)
		if tok != c.token || ok != c.ok {
			t.Errorf("BearerToken(%q) = %q, %v", c.header, tok, ok)
		}
	}
}

func TestHashIsStableAndOneWay(t *testing.T) {
	key, _ := NewKey(false)
	if !bytes.Equal(Hash(key), Hash(key)) || bytes.Contains(Hash(key), []byte(key[8:])) || len(Hash(key)) != 32 {
		t.Fatal("Hash must be a stable 32-byte digest")
	}
}

func TestIsPrefix(t *testing.T) {
	key, prefix := NewKey(false)
	test, testPrefix := NewKey(true)
	for s, want := range map[string]bool{
		prefix: true, testPrefix: true, key: false, test: false,
		"pivotal_": false, "pivotal_abc": false, "pivotal_abcdefg!": false, "other_abcdefgh": false,
	} {
		if got := IsPrefix(s); got != want {
			t.Errorf("IsPrefix(%q) = %v, want %v", s, got, want)
		}
	}
}
