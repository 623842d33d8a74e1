// Package auth holds API keys (generation, hashing, parsing of the Authorization
// header) and the request identity that authentication puts in the context.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strings"
)

// Key prefixes. The test prefix is checked first: a test key also starts with LivePrefix.
const (
	LivePrefix = "pivotal_"
	TestPrefix = "pivotal_test_"
	// secretLen base-62 characters carry about 190 bits.
	secretLen = 32
	// visibleLen characters of the secret appear in the visible prefix.
	visibleLen = 8
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewKey returns a fresh cleartext key and its visible prefix.
func NewKey(test bool) (key, prefix string) {
	mode := LivePrefix
	if test {
		mode = TestPrefix
	}
	buf := make([]byte, secretLen)
	var rnd [1]byte
	for i := 0; i < secretLen; {
		rand.Read(rnd[:])
		if rnd[0] >= 248 { // 248 = 4*62: reject to stay unbiased
			continue
		}
		buf[i] = base62[int(rnd[0])%62]
		i++
	}
	return mode + string(buf), mode + string(buf[:visibleLen])
}

// Hash is what is stored of a key. Keys carry ~190 random bits, so a plain
// SHA-256 cannot be brute-forced and keeps lookups a single index probe.
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// Parsed is a syntactically valid key.
type Parsed struct {
	Key      string
	Livemode bool
}

// ParseKey checks a key's shape. It says nothing about whether the key exists.
func ParseKey(key string) (Parsed, bool) {
	var secret string
	live := false
	switch {
	case strings.HasPrefix(key, TestPrefix):
		secret = key[len(TestPrefix):]
	case strings.HasPrefix(key, LivePrefix):
		secret, live = key[len(LivePrefix):], true
	default:
		return Parsed{}, false
	}
	if len(secret) != secretLen {
		return Parsed{}, false
	}
	for i := 0; i < len(secret); i++ {
		if strings.IndexByte(base62, secret[i]) < 0 {
			return Parsed{}, false
		}
	}
	return Parsed{Key: key, Livemode: live}, true
}

// IsPrefix reports whether s has the shape of a key's visible prefix: the
// mode prefix and the first visibleLen characters of the secret.
func IsPrefix(s string) bool {
	var rest string
	switch {
	case strings.HasPrefix(s, TestPrefix):
		rest = s[len(TestPrefix):]
	case strings.HasPrefix(s, LivePrefix):
		rest = s[len(LivePrefix):]
	default:
		return false
	}
	if len(rest) != visibleLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base62, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// BearerToken extracts the token of an `Authorization: Bearer <token>` header.
// The scheme word is case-insensitive; anything else is not a bearer header.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// Identity is who is calling: a key and its workspace.
type Identity struct {
	WorkspaceID   string
	WorkspaceSlug string
	WorkspaceName string
	KeyID         string
	KeyName       string
	KeyPrefix     string
	Livemode      bool
	Tier          string
}

// Actor is how mutations are attributed in the audit trail and timelines.
func (id *Identity) Actor() string { return "API: " + id.KeyName }

type identityKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the caller's identity, or nil before authentication.
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}
