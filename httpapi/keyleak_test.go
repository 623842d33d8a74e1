package httpapi

import (
	"strings"
	"sync"
	"testing"

	"pivotal/auth"
)

// createdKeys is every API key the tests of this binary created (env.key).
var createdKeys keyList

type keyList struct {
	mu   sync.Mutex
	keys []string
}

func (l *keyList) add(k string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, k)
}

func (l *keyList) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.keys...)
}

// leakedKeys returns the keys whose secret part appears in logs. Only the
// visible prefix (the mode and 8 characters) may be logged; the secret part is
// searched on its own, so a key logged without its "pivotal_" is found too.
func leakedKeys(logs string, keys []string) []string {
	var leaked []string
	for _, k := range keys {
		secret := strings.TrimPrefix(strings.TrimPrefix(k, auth.TestPrefix), auth.LivePrefix)
		if strings.Contains(logs, secret) {
			leaked = append(leaked, k)
		}
	}
	return leaked
}

// The check TestMain runs finds a key in the logs, however it got there.
func TestLeakedKeysFindsLoggedKeys(t *testing.T) {
	live, _ := auth.NewKey(false)
	test, _ := auth.NewKey(true)
	clean, _ := auth.NewKey(false)
	logs := `{"msg":"request","key_prefix":"` + clean[:16] + `"}
{"msg":"oops","authorization":"Bearer ` + live + `"}
{"msg":"oops","token":"` + strings.TrimPrefix(test, auth.TestPrefix) + `"}`
	got := leakedKeys(logs, []string{live, test, clean})
	if len(got) != 2 || got[0] != live || got[1] != test {
		t.Errorf("leakedKeys = %v, want the live and the test key but not the one logged by prefix", got)
	}
}
