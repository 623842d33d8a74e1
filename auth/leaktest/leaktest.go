// Package leaktest checks that no API key ever reaches a log. A test binary
// records every key string its tests use — created, sent, accepted or
// rejected — and every log its code and its server processes write; Check,
// run by TestMain after the tests, searches all of those logs for all of those
// keys, and for anything shaped like a key that nobody recorded.
//
//	func TestMain(m *testing.M) { os.Exit(leaktest.Check(dbtest.Run(m))) }
package leaktest

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"

	"pivotal/auth"
)

// The run's record, for Check.
var (
	mu      sync.Mutex
	keys    = map[string]bool{}
	sources []source
)

// source is one log of the run, read when Check runs.
type source struct {
	name string
	text func() string
}

// Key records key strings a test used, exactly as used. Strings that do not
// start like a key (pivotal_…) are not keys and are ignored, so a caller may
// pass whatever it sent as a bearer token; so is a bare visible prefix
// (pivotal_XXXXXXXX), which names a key without being one and may be logged.
func Key(ks ...string) {
	mu.Lock()
	defer mu.Unlock()
	for _, k := range ks {
		if strings.HasPrefix(k, auth.LivePrefix) && !auth.IsPrefix(k) {
			keys[k] = true
		}
	}
}

// BearerKey records the token of an Authorization header value ("Bearer K",
// any case, or a bare K).
func BearerKey(header string) {
	if token, ok := auth.BearerToken(header); ok {
		Key(token)
	}
	Key(strings.TrimSpace(header))
}

// keyShape is a complete key: its mode, then a run of letters and digits,
// which must be exactly as long as a key's (checked by completeKeys).
var keyShape = regexp.MustCompile(`pivotal_(?:test_)?[0-9A-Za-z]+`)

// completeKeys returns the complete keys in text.
func completeKeys(text string) []string {
	var out []string
	for _, m := range keyShape.FindAllString(text, -1) {
		if _, ok := auth.ParseKey(m); ok {
			out = append(out, m)
		}
	}
	return out
}

// KeysIn records every complete key in text: a response body, a request
// body, a command's output.
func KeysIn(texts ...string) {
	for _, t := range texts {
		Key(completeKeys(t)...)
	}
}

// Source registers a log the run writes; text is read when Check runs.
func Source(name string, text func() string) {
	mu.Lock()
	defer mu.Unlock()
	sources = append(sources, source{name, text})
}

// Writer returns a log writer named name for the run: what is written to it
// is kept for Check, and passed on to w (nil: kept only).
func Writer(name string, w io.Writer) io.Writer {
	b := &buffer{}
	Source(name, b.String)
	if w == nil {
		return b
	}
	return io.MultiWriter(b, w)
}

type buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Leak is a key found in a log. Key is never printed whole: a report shows
// its visible prefix only.
type Leak struct {
	Key, Source string
}

func (l Leak) String() string {
	shown := l.Key
	if len(shown) > len(auth.LivePrefix)+8 {
		shown = shown[:len(auth.LivePrefix)+8] + "…"
	}
	return fmt.Sprintf("%s in %s", shown, l.Source)
}

// Leaks searches log for keys: each key as used, and its secret part (after
// its mode) when that is long enough to be unmistakable, so a key logged
// without its "pivotal_" is found too; and any complete key at all, recorded
// or not. Only the visible prefix (mode and 8 characters) may be logged.
func Leaks(name, log string, keys []string) []Leak {
	var out []Leak
	found := map[string]bool{}
	for _, k := range keys {
		secret := strings.TrimPrefix(strings.TrimPrefix(k, auth.TestPrefix), auth.LivePrefix)
		if strings.Contains(log, k) || len(secret) >= 16 && strings.Contains(log, secret) {
			out = append(out, Leak{k, name})
			found[k] = true
		}
	}
	for _, k := range completeKeys(log) {
		if !found[k] {
			out = append(out, Leak{k, name})
			found[k] = true
		}
	}
	return out
}

// Check searches every registered log for every recorded key. It prints what
// it found (prefixes only) and returns 1 if a key leaked, or if no key was
// recorded in a whole run (a check of nothing), else code. It also says what it
// searched (go test shows it with -v or on failure).
func Check(code int) int {
	mu.Lock()
	ks := make([]string, 0, len(keys))
	for k := range keys {
		ks = append(ks, k)
	}
	srcs := append([]source(nil), sources...)
	mu.Unlock()
	var leaks []Leak
	size := 0
	for _, s := range srcs {
		text := s.text()
		size += len(text)
		leaks = append(leaks, Leaks(s.name, text, ks)...)
	}
	if len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d API keys appear in the logs of this run:\n", len(leaks))
		for _, l := range leaks {
			fmt.Fprintf(os.Stderr, "  %s\n", l)
		}
		return 1
	}
	// A whole run that records no key checks nothing: the recording is broken.
	// A run of a few tests (-run) may well use none.
	if len(ks) == 0 && code == 0 && !selective() {
		fmt.Fprintln(os.Stderr, "FAIL: leaktest: no key was recorded, so the key-leak check checked nothing")
		return 1
	}
	fmt.Fprintf(os.Stderr, "leaktest: %d logs, %d bytes, searched for %d keys: none found\n", len(srcs), size, len(ks))
	return code
}

// selective reports whether the run was limited to some tests (-run, -skip).
func selective() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return true
		}
	}
	return false
}
