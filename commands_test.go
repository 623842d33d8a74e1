package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"pivotal/db/dbtest"
)

// result is what a run of the binary showed.
type result struct {
	status         int
	stdout, stderr string
}

// pivotal runs the built binary with env added to this process's.
func pivotal(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("pivotal %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// Help for a command is that command's usage only, on stdout, status 0,
// however it is asked for.
func TestHelpOfEveryCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, tc := range []struct {
		args       []string
		first      string // the usage's first line
		notContain string // another command's flag
	}{
		{[]string{"--help"}, "pivotal — GraphQL API", "--workspace"},
		{[]string{"help"}, "pivotal — GraphQL API", "--workspace"},
		{[]string{"-h"}, "pivotal — GraphQL API", "--workspace"},
		{[]string{"help", "serve"}, "Usage: pivotal serve [FLAGS]", "--workspace"},
		{[]string{"serve", "--help"}, "Usage: pivotal serve [FLAGS]", "--workspace"},
		{[]string{"help", "keys"}, "Usage: pivotal keys create|list|revoke", "--addr"},
		{[]string{"keys", "--help"}, "Usage: pivotal keys create|list|revoke", "--addr"},
		{[]string{"keys", "-h"}, "Usage: pivotal keys create|list|revoke", "--addr"},
		{[]string{"help", "keys", "create"}, "Usage: pivotal keys create --workspace SLUG", "--addr"},
		{[]string{"keys", "create", "--help"}, "Usage: pivotal keys create --workspace SLUG", "--addr"},
		{[]string{"keys", "list", "-h"}, "Usage: pivotal keys list --workspace SLUG", "--tier"},
		{[]string{"keys", "revoke", "--help"}, "Usage: pivotal keys revoke KEY", "--workspace"},
		{[]string{"help", "migrate"}, "Usage: pivotal migrate", "--workspace"},
		{[]string{"seed", "--help"}, "Usage: pivotal seed --workspace SLUG", "--addr"},
	} {
		r := pivotal(t, nil, tc.args...)
		if r.status != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, tc.first) || strings.Contains(r.stdout, tc.notContain) {
			t.Errorf("pivotal %s: status %d, stderr %q, stdout:\n%s", strings.Join(tc.args, " "), r.status, r.stderr, r.stdout)
		}
		// serve has some 25 flags at two lines each; anything longer repeats another usage.
		if n := strings.Count(r.stdout, "\n"); n > 64 {
			t.Errorf("pivotal %s: %d lines of help", strings.Join(tc.args, " "), n)
		}
	}
}

// A mistake on the command line is one short error and a pointer to the
// command's --help, with status 2, and it is found before any database work:
// the database here does not exist, and no error mentions it.
func TestUsageErrorsComeFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	env := []string{"DATABASE_URL=host=/nonexistent/pivotal port=5432 user=nobody dbname=none sslmode=disable"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "pivotal: unknown command \"frobnicate\"\nRun 'pivotal --help' for usage.\n"},
		{[]string{"keys"}, "pivotal keys: want a command: create, list or revoke\nRun 'pivotal keys --help' for usage.\n"},
		{[]string{"keys", "rotate"}, "pivotal keys: unknown command \"rotate\"; want create, list or revoke\nRun 'pivotal keys --help' for usage.\n"},
		{[]string{"keys", "create", "--workspace", "acme", "--bogus"}, "pivotal keys create: unknown flag --bogus\nRun 'pivotal keys create --help' for usage.\n"},
		{[]string{"--bogus"}, "pivotal serve: unknown flag --bogus\nRun 'pivotal serve --help' for usage.\n"},
		{[]string{"keys", "create"}, "pivotal keys create: --workspace is required\nRun 'pivotal keys create --help' for usage.\n"},
		{[]string{"keys", "create", "--workspace", "Acme Inc"}, "pivotal keys create: workspace must be a slug: lowercase letters, digits and inner hyphens\nRun 'pivotal keys create --help' for usage.\n"},
		{[]string{"keys", "create", "--workspace", "acme", "--tier", "gold"}, "pivotal keys create: tier must be one of: standard, paid, unlimited\nRun 'pivotal keys create --help' for usage.\n"},
		{[]string{"keys", "create", "--workspace", "acme", "--name", ""}, "pivotal keys create: name must not be empty\nRun 'pivotal keys create --help' for usage.\n"},
		{[]string{"keys", "create", "--workspace", "acme", "extra"}, "pivotal keys create: unexpected argument \"extra\"\nRun 'pivotal keys create --help' for usage.\n"},
		{[]string{"keys", "list", "--workspace", "-x-"}, "pivotal keys list: workspace must be a slug: lowercase letters, digits and inner hyphens\nRun 'pivotal keys list --help' for usage.\n"},
		{[]string{"keys", "revoke"}, "pivotal keys revoke: want exactly one KEY (id, visible prefix or full key), got 0\nRun 'pivotal keys revoke --help' for usage.\n"},
		{[]string{"keys", "revoke", "nope"}, "pivotal keys revoke: \"nope\" is not a key id (c followed by 24 characters), a visible prefix (pivotal_XXXXXXXX) or a full key\nRun 'pivotal keys revoke --help' for usage.\n"},
		{[]string{"seed", "--workspace", "acme", "--customers", "0"}, "pivotal seed: --customers must be 1–1000000\nRun 'pivotal seed --help' for usage.\n"},
		{[]string{"seed", "--workspace", "acme", "--key-tier", "gold"}, "pivotal seed: tier must be one of: standard, paid, unlimited\nRun 'pivotal seed --help' for usage.\n"},
		{[]string{"migrate", "now"}, "pivotal migrate: unexpected argument \"now\"\nRun 'pivotal migrate --help' for usage.\n"},
	} {
		r := pivotal(t, env, tc.args...)
		if r.status != 2 || r.stderr != tc.want || r.stdout != "" {
			t.Errorf("pivotal %s: status %d, stdout %q, stderr:\n%s\nwant status 2 and:\n%s", strings.Join(tc.args, " "), r.status, r.stdout, r.stderr, tc.want)
		}
	}
}

// One-shot commands print their result and nothing else, unless --verbose;
// revoking a revoked key says so; a failure is status 1.
func TestCommandsAreQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	env := []string{"DATABASE_URL=" + dbtest.NewDatabase(t), "PIVOTAL_LOG_FORMAT=json"}
	r := pivotal(t, env, "keys", "create", "--workspace", "acme")
	key := strings.TrimSpace(r.stdout)
	if r.status != 0 || r.stderr != "" || !strings.HasPrefix(key, "pivotal_") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("keys create: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	if r := pivotal(t, env, "migrate"); r.status != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "migrated: schema version ") {
		t.Errorf("migrate: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	if r := pivotal(t, env, "seed", "--workspace", "acme", "--customers", "1", "--key=false"); r.status != 0 || r.stderr != "" || r.stdout != "" {
		t.Errorf("seed: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	if r := pivotal(t, env, "seed", "--workspace", "acme", "--customers", "1", "--key=false", "--verbose"); r.status != 0 || !strings.Contains(r.stderr, `"msg":"seeded"`) {
		t.Errorf("seed --verbose logs nothing: status %d, stderr %q", r.status, r.stderr)
	}
	r = pivotal(t, env, "keys", "revoke", key)
	if r.status != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "revoked ") {
		t.Errorf("first revoke: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	r = pivotal(t, env, "keys", "revoke", key[:16])
	if r.status != 0 || r.stderr != "" || !strings.Contains(r.stdout, " was already revoked at ") {
		t.Errorf("second revoke: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	r = pivotal(t, env, "keys", "revoke", "pivotal_nopenope")
	if r.status != 1 || r.stderr != "pivotal: No such api key.\n" || r.stdout != "" {
		t.Errorf("revoking an unknown key: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	r = pivotal(t, env, "keys", "list", "--workspace", "nope")
	if r.status != 1 || r.stderr != "pivotal: No such workspace.\n" {
		t.Errorf("listing an unknown workspace: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
}
