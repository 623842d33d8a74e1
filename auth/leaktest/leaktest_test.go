package leaktest

import (
	"strings"
	"testing"

	"pivotal/auth"
)

// The search finds a key in a log however it got there, and only a key.
func TestLeaks(t *testing.T) {
	live, _ := auth.NewKey(false)
	test, _ := auth.NewKey(true)
	clean, _ := auth.NewKey(false)
	unrecorded, _ := auth.NewKey(true)
	rejected := "pivotal_" + strings.Repeat("x", 40) // too long: refused, and still a secret
	short := "pivotal_nope"
	log := `{"msg":"request","key_prefix":"` + clean[:16] + `"}
{"msg":"oops","authorization":"Bearer ` + live + `"}
{"msg":"oops","token":"` + strings.TrimPrefix(test, auth.TestPrefix) + `"}
{"msg":"oops","err":"bad key ` + rejected + `"}
{"msg":"oops","err":"bad key ` + short + `"}
{"msg":"oops","err":"` + unrecorded + `"}
{"msg":"database","name":"pivotal_testkeylastused_c7cc2e2fd2"}`
	var got []string
	for _, l := range Leaks("log", log, []string{live, test, clean, rejected, short}) {
		got = append(got, l.Key)
	}
	want := []string{live, test, rejected, short, unrecorded}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Leaks = %v, want %v (not the key logged by its prefix)", got, want)
	}
	if s := (Leak{live, "log"}).String(); strings.Contains(s, live) || !strings.Contains(s, live[:16]) {
		t.Errorf("a report shows %q: the key itself, or not its prefix", s)
	}
}

// KeysIn and BearerKey record keys as they appear in requests and responses.
func TestRecording(t *testing.T) {
	a, _ := auth.NewKey(false)
	b, _ := auth.NewKey(true)
	KeysIn(`{"data":{"createApiKey":{"secret":"` + a + `"}}}`)
	BearerKey("bearer " + b)
	BearerKey("Bearer not-a-key")
	mu.Lock()
	defer mu.Unlock()
	if !keys[a] || !keys[b] || keys["not-a-key"] {
		t.Errorf("recorded %v", keys)
	}
}
