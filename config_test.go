package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// commandLines are every command a user can run.
var commandLines = [][]string{{"serve"}, {"keys", "create"}, {"keys", "list"}, {"keys", "revoke"}, {"migrate"}, {"seed"},
	{"webhooks", "create"}, {"webhooks", "list"}, {"webhooks", "delete"}}

// perInvocation are flags that say what one run does (which workspace, how
// many rows, how loud), not how pivotal is configured: they have no
// environment variable, on purpose.
var perInvocation = map[string]bool{
	"workspace": true, "name": true, "test": true, "tier": true, "verbose": true,
	"customers": true, "contacts": true, "onboardings": true, "dense": true, "key-tier": true, "key": true,
	"url": true, "description": true, "events": true,
}

func helpOf(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append(args, "--help"), &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("pivotal %v --help: %v", args, err)
	}
	return out.String()
}

var (
	flagLine = regexp.MustCompile(`^  --([a-z-]+)`)
	envTag   = regexp.MustCompile(`\[env ([A-Z_]+)\]$`)
)

// Every flag of every command is either configuration, with an environment
// variable that --help names and the README's configuration table lists, or
// one of the few per-invocation arguments.
func TestEveryFlagHasAnEnvironmentVariable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, cmd := range commandLines {
		lines := strings.Split(helpOf(t, cmd...), "\n")
		flags := 0
		for i, line := range lines {
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			flags++
			env := envTag.FindStringSubmatch(lines[i+1])
			if env == nil {
				if !perInvocation[m[1]] {
					t.Errorf("pivotal %s --%s has no environment variable", strings.Join(cmd, " "), m[1])
				}
				continue
			}
			seen[env[1]] = true
			if !bytes.Contains(readme, []byte("`"+env[1]+"`")) {
				t.Errorf("the README's configuration table does not list %s (--%s)", env[1], m[1])
			}
		}
		if flags == 0 {
			t.Errorf("pivotal %s --help lists no flags", strings.Join(cmd, " "))
		}
	}
	if len(seen) < 16 {
		t.Errorf("only %d environment variables found in the usage: %v", len(seen), seen)
	}
}

// serveFlagSet is serve's flag set, as serveCommand builds it.
func serveFlagSet(c *config) *flagSet {
	fs := newFlagSet("serve", "", "", io.Discard)
	serveFlags(fs, c)
	databaseFlags(fs, c)
	return fs
}

// Each environment variable sets its flag, a flag on the command line wins
// over its variable, and a malformed value is refused with the variable's
// name — for every configuration flag, not a sample.
func TestEnvironmentVariablesConfigure(t *testing.T) {
	var probe config
	all := serveFlagSet(&probe)
	if len(all.env) < 16 {
		t.Fatalf("serve has only %d configuration flags with a variable", len(all.env))
	}
	for name, env := range all.env {
		t.Run(env, func(t *testing.T) {
			var valid, other, malformed string
			switch all.Lookup(name).Value.(flag.Getter).Get().(type) {
			case time.Duration:
				valid, other, malformed = "7s", "8s", "7"
			case int:
				valid, other, malformed = "7", "8", "seven"
			case bool:
				valid, other, malformed = "true", "false", "yes"
			case string:
				valid, other = "from-env", "from-flag"
			default:
				t.Fatalf("--%s has a type this test does not know", name)
			}
			parse := func(args ...string) (string, error) {
				var c config
				fs := serveFlagSet(&c)
				err := fs.parse(args)
				return fs.Lookup(name).Value.String(), err
			}
			t.Setenv(env, valid)
			if got, err := parse(); err != nil || got != valid {
				t.Errorf("%s=%s: --%s = %q, %v", env, valid, name, got, err)
			}
			if got, err := parse("--" + name + "=" + other); err != nil || got != other {
				t.Errorf("--%s=%s with %s=%s: got %q, %v; the flag must win", name, other, env, valid, got, err)
			}
			if malformed == "" {
				return
			}
			t.Setenv(env, malformed)
			_, err := parse()
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), env) {
				t.Errorf("%s=%s: got %v, want a usage error naming the variable", env, malformed, err)
			}
		})
	}
}

// Every field of config is reachable from an environment variable (but
// Verbose, a per-invocation switch): a field without one would be a setting
// that containers cannot make.
func TestEveryConfigFieldHasAVariable(t *testing.T) {
	var probe config
	for name, env := range serveFlagSet(&probe).env {
		v := "7"
		switch probe := serveFlagSet(&config{}).Lookup(name).Value.(flag.Getter).Get().(type) {
		case time.Duration:
			v = "7s"
		case bool:
			v = "true"
		case string:
			v = "x" + probe
		}
		t.Setenv(env, v)
	}
	var c config
	if err := serveFlagSet(&c).parse(nil); err != nil {
		t.Fatal(err)
	}
	var zero []string
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), prefix+v.Type().Field(i).Name
			switch {
			case f.Kind() == reflect.Struct:
				walk(name+".", f)
			case name == "Verbose":
			case f.IsZero():
				zero = append(zero, name)
			}
		}
	}
	walk("", reflect.ValueOf(c))
	if len(zero) > 0 {
		t.Errorf("config fields no environment variable set: %v", zero)
	}
}

// Impossible settings are refused before anything starts.
func TestServeRefusesImpossibleSettings(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"PIVOTAL_REQUEST_TIMEOUT", "10", "want a duration"},
		{"PIVOTAL_REQUEST_TIMEOUT", "90s", "--request-timeout must be shorter than --write-timeout"},
		{"PIVOTAL_READ_TIMEOUT", "-1s", "--read-timeout must not be negative"},
		{"PIVOTAL_MAX_COMPLEXITY", "0", "--max-complexity must be at least 1"},
		{"PIVOTAL_MAX_HEADER_BYTES", "64k", "want a whole number"},
		{"PIVOTAL_DEMO", "yes", "want true or false"},
	} {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:1"}, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
}
