package rest

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"pivotal/npmtest"
)

// Redocly's lint (its recommended rules, less the two that
// testdata/redocly/redocly.yaml turns off and says why) finds nothing in the
// document: no warning, no error.
func TestOpenAPIRedoclyLint(t *testing.T) {
	dir := npmtest.Install(t, "testdata/redocly")
	cmd := exec.Command(filepath.Join(dir, "node_modules", ".bin", "redocly"), "lint", "--format=stylish",
		"--max-problems=200", filepath.Join("..", "..", "openapi.json"))
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redocly lint: %v\n%s", err, out)
	}
	// Warnings do not change the exit status: count them.
	if n := countWarnings(out); n > 0 {
		t.Errorf("redocly lint: %d warnings:\n%s", n, out)
	}
}

// countWarnings counts the findings of redocly's stylish format
// ("  46:9  warning  rule-name  message").
func countWarnings(out []byte) int {
	return len(regexp.MustCompile(`(?m)^\s+\d+:\d+\s+(warning|error)\s`).FindAll(out, -1))
}
