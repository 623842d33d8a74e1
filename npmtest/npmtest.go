// Package npmtest installs the npm packages a test runs (third-party
// conformance tools: graphql-http's server audit, Redocly's OpenAPI lint) from
// a committed package.json and package-lock.json, with npm ci: the versions are
// pinned, and a second run with the same lock file installs nothing.
package npmtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var mu sync.Mutex

// Install makes sure dir's node_modules holds exactly what dir's lock file
// says and returns the absolute dir. npm missing fails the test: make test
// installs it (scripts/ensure-node.sh).
func Install(t testing.TB, dir string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(abs, "package-lock.json"))
	if err != nil {
		t.Fatalf("npmtest: %v", err)
	}
	sum := sha256.Sum256(lock)
	want := []byte(hex.EncodeToString(sum[:]))
	// The stamp says which lock file node_modules was installed from.
	stamp := filepath.Join(abs, "node_modules", ".pivotal-lock-sha256")
	if got, err := os.ReadFile(stamp); err == nil && bytes.Equal(got, want) {
		return abs
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm not found: run scripts/ensure-node.sh (make test does) to install Node.js and npm")
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", abs, err, out)
	}
	if err := os.WriteFile(stamp, want, 0o644); err != nil {
		t.Fatal(err)
	}
	return abs
}
