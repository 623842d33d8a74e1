package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request without a valid key is refused from its headers alone: the server
// answers 401 before it reads a byte of the body (issue 10 A6), so nobody
// without a key can make it buffer up to 1 MiB per request. The body here is a
// pipe the test never writes to: a server that read it first would wait for it
// until the pipe fails (a failure, not a measurement).
func TestAuthenticationBeforeBody(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/api/v1/customers", "/graphql"} {
		for _, key := range []string{"", "sk_test_notakey"} {
			pr, pw := io.Pipe()
			// A server that waits for the body gets an error from it, late.
			timer := time.AfterFunc(20*time.Second, func() { pw.CloseWithError(errors.New("no body for you")) })
			req, _ := http.NewRequest("POST", e.srv.URL+path, pr)
			req.ContentLength = 512 << 10
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := e.srv.Client().Do(req)
			timer.Stop()
			pw.Close()
			if err != nil {
				t.Errorf("%s with key %q: %v (the server waited for the body)", path, key, err)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "authentication") && !strings.Contains(string(b), "UNAUTHENTICATED") {
				t.Errorf("%s with key %q: %d %s, want 401", path, key, resp.StatusCode, b)
			}
		}
	}
}
