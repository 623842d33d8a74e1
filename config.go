package main

// Configuration: every flag that configures the server or its database, with
// its environment variable, in one place. A command's own arguments (which
// workspace, which key, how many rows) are declared with the command.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"pivotal/httpapi"
	"pivotal/resolvers"
)

// config is everything the commands read from flags and the environment.
type config struct {
	Addr             string
	DatabaseURL      string
	DataDir          string
	Demo             bool
	StatementTimeout time.Duration
	ShutdownGrace    time.Duration
	ShutdownDrain    time.Duration
	MaxComplexity    int
	MaxAPIKeys       int
	RedisURL         string
	CORSOrigins      string
	RequestTimeout   time.Duration
	MetricsAddr      string
	HTTP             httpLimits
	Webhooks         webhookConfig
	// SubscriptionsPerKey bounds one key's subscriptions on one instance.
	SubscriptionsPerKey int
	// Verbose lets a one-shot command log (they are quiet by default).
	Verbose bool
}

// httpLimits are the HTTP server's timeouts and header cap.
type httpLimits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

// webhookConfig tunes webhook delivery.
type webhookConfig struct {
	AllowPrivate bool
	Timeout      time.Duration
	TimeScale    int
}

// databaseFlags are the flags of every command that opens the database.
func databaseFlags(fs *flagSet, c *config) {
	fs.stringVar(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "PostgreSQL `URL`; empty: the embedded cluster in --data-dir")
	fs.stringVar(&c.DataDir, "data-dir", "PIVOTAL_DATA_DIR", ".pivotal", "data `DIR` of the embedded PostgreSQL (and of --demo's key)")
}

// serveFlags are the server's own flags.
func serveFlags(fs *flagSet, c *config) {
	fs.stringVar(&c.Addr, "addr", "PIVOTAL_ADDR", "127.0.0.1:8080", "listen address, `HOST:PORT`")
	fs.boolVar(&c.Demo, "demo", "PIVOTAL_DEMO", false, "seed a demo workspace on first start and print its test key (put in the /graphiql page only on a loopback address)")
	fs.stringVar(&c.MetricsAddr, "metrics-addr", "PIVOTAL_METRICS_ADDR", "", "operator listener serving GET /metrics, `HOST:PORT` (e.g. 127.0.0.1:9090); empty: off")
	fs.stringVar(&c.RedisURL, "redis-url", "REDIS_URL", "", "Redis `URL` for rate-limit windows shared by several instances (redis://host:6379/0); empty: in memory")
	fs.stringVar(&c.CORSOrigins, "cors-origins", "PIVOTAL_CORS_ORIGINS", "", "comma-separated browser `ORIGINS` allowed by CORS; empty: none")
	fs.intVar(&c.MaxComplexity, "max-complexity", "PIVOTAL_MAX_COMPLEXITY", httpapi.DefaultMaxComplexity, "largest cost of a GraphQL operation")
	fs.intVar(&c.MaxAPIKeys, "max-api-keys", "PIVOTAL_MAX_API_KEYS", resolvers.DefaultMaxAPIKeys, "most active API keys a workspace may hold for createApiKey to create another (the keys CLI is not bound)")
	fs.durationVar(&c.StatementTimeout, "statement-timeout", "PIVOTAL_STATEMENT_TIMEOUT", 5*time.Second, "PostgreSQL statement_timeout for API queries")
	fs.durationVar(&c.RequestTimeout, "request-timeout", "PIVOTAL_REQUEST_TIMEOUT", 10*time.Second, "deadline of each API request, SQL included; past it the answer is 503")
	fs.durationVar(&c.ShutdownDrain, "shutdown-drain", "PIVOTAL_SHUTDOWN_DRAIN", 5*time.Second, "lame-duck period on SIGTERM or SIGINT before the listener closes: readiness answers 503, every response says Connection: close, new connections are still served")
	fs.durationVar(&c.ShutdownGrace, "shutdown-grace", "PIVOTAL_SHUTDOWN_GRACE", 15*time.Second, "how long in-flight requests may finish on SIGTERM or SIGINT")
	fs.durationVar(&c.HTTP.ReadHeaderTimeout, "read-header-timeout", "PIVOTAL_READ_HEADER_TIMEOUT", 5*time.Second, "time to read a request's headers")
	fs.durationVar(&c.HTTP.ReadTimeout, "read-timeout", "PIVOTAL_READ_TIMEOUT", 30*time.Second, "time to read a whole request")
	fs.durationVar(&c.HTTP.WriteTimeout, "write-timeout", "PIVOTAL_WRITE_TIMEOUT", 60*time.Second, "time from the end of the headers to the end of the response")
	fs.durationVar(&c.HTTP.IdleTimeout, "idle-timeout", "PIVOTAL_IDLE_TIMEOUT", 120*time.Second, "keep-alive idle time")
	fs.intVar(&c.HTTP.MaxHeaderBytes, "max-header-bytes", "PIVOTAL_MAX_HEADER_BYTES", 64<<10, "largest request header block, in bytes")
	fs.intVar(&c.SubscriptionsPerKey, "subscriptions-per-key", "PIVOTAL_SUBSCRIPTIONS_PER_KEY", 100, "most GraphQL subscriptions one API key may hold at once on one instance")
	fs.boolVar(&c.Webhooks.AllowPrivate, "webhook-allow-private", "PIVOTAL_WEBHOOK_ALLOW_PRIVATE", false, "let webhook endpoints target loopback, private and link-local addresses (--demo sets it)")
	fs.durationVar(&c.Webhooks.Timeout, "webhook-timeout", "PIVOTAL_WEBHOOK_TIMEOUT", 10*time.Second, "how long a webhook receiver has to answer one delivery")
	fs.intVar(&c.Webhooks.TimeScale, "webhook-time-scale", "PIVOTAL_WEBHOOK_TIME_SCALE", 1, "divides the webhook retry schedule (tests: 36000 runs its 24 hours in 2.4 s)")
}

// checkServe refuses settings the server cannot run with, before anything starts.
func (c *config) checkServe() error {
	for name, d := range map[string]time.Duration{
		"statement-timeout": c.StatementTimeout, "request-timeout": c.RequestTimeout,
		"shutdown-grace": c.ShutdownGrace, "shutdown-drain": c.ShutdownDrain, "read-header-timeout": c.HTTP.ReadHeaderTimeout,
		"read-timeout": c.HTTP.ReadTimeout, "write-timeout": c.HTTP.WriteTimeout, "idle-timeout": c.HTTP.IdleTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("--%s must not be negative (0 means none)", name)
		}
	}
	if c.Webhooks.Timeout <= 0 {
		return errors.New("--webhook-timeout must be positive")
	}
	if c.Webhooks.TimeScale < 1 {
		return errors.New("--webhook-time-scale must be at least 1")
	}
	if c.MaxComplexity < 1 {
		return errors.New("--max-complexity must be at least 1")
	}
	if c.SubscriptionsPerKey < 1 {
		return errors.New("--subscriptions-per-key must be at least 1")
	}
	if c.MaxAPIKeys < 1 {
		return errors.New("--max-api-keys must be at least 1")
	}
	if c.HTTP.MaxHeaderBytes < 1 {
		return errors.New("--max-header-bytes must be at least 1")
	}
	if c.RequestTimeout > 0 && c.HTTP.WriteTimeout > 0 && c.RequestTimeout >= c.HTTP.WriteTimeout {
		return errors.New("--request-timeout must be shorter than --write-timeout, or clients see a cut connection instead of a 503")
	}
	return nil
}

// flagSet is one command's flags: the standard library's, plus the usage of
// the command and the environment variable of each configuration flag.
type flagSet struct {
	*flag.FlagSet
	// name is the command as typed ("keys create"); synopsis follows it in the
	// usage line; about says what the command does.
	name, synopsis, about string
	stdout                io.Writer
	env                   map[string]string // flag name → environment variable
}

// newFlagSet returns the flags of command name. Its usage (--help) goes to
// stdout; errors are returned, never printed by the flag package.
func newFlagSet(name, synopsis, about string, stdout io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), name: name,
		synopsis: synopsis, about: about, stdout: stdout, env: map[string]string{}}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

func (fs *flagSet) stringVar(p *string, name, env, def, usage string) {
	fs.StringVar(p, name, def, usage)
	fs.env[name] = env
}

func (fs *flagSet) boolVar(p *bool, name, env string, def bool, usage string) {
	fs.BoolVar(p, name, def, usage)
	fs.env[name] = env
}

func (fs *flagSet) intVar(p *int, name, env string, def int, usage string) {
	fs.IntVar(p, name, def, usage)
	fs.env[name] = env
}

func (fs *flagSet) durationVar(p *time.Duration, name, env string, def time.Duration, usage string) {
	fs.DurationVar(p, name, def, usage)
	fs.env[name] = env
}

// oneShotFlags are the flags of every command but serve: the database, and
// --verbose, the switch for their logs.
func oneShotFlags(fs *flagSet, c *config) {
	databaseFlags(fs, c)
	fs.BoolVar(&c.Verbose, "verbose", false, "log what the command does (on stderr); quiet by default")
}

// parse parses args, then fills every configuration flag not given on the
// command line from its environment variable: a flag wins over its variable,
// and a malformed variable is refused like a malformed flag. --help prints
// the usage and returns flag.ErrHelp; other mistakes are usage errors.
func (fs *flagSet) parse(args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.printUsage()
		return flag.ErrHelp
	}
	if err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			msg = "unknown flag --" + name
		} else if m := badFlagValue.FindStringSubmatch(msg); m != nil && fs.Lookup(m[2]) != nil {
			msg = fmt.Sprintf("--%s=%q: %s", m[2], m[1], setError(fs.Lookup(m[2]), err))
		}
		return fs.usageError("%s", msg)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	names := make([]string, 0, len(fs.env))
	for name := range fs.env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		env := fs.env[name]
		v := os.Getenv(env)
		if given[name] || v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fs.usageError("environment variable %s=%q: %s", env, v, setError(fs.Lookup(name), err))
		}
	}
	return nil
}

// badFlagValue matches the flag package's error for a malformed value.
var badFlagValue = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([^:]+): `)

// parseNoArgs is parse for a command that takes no positional arguments (a
// flag after one would otherwise be ignored silently).
func (fs *flagSet) parseNoArgs(args []string) error {
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fs.usageError("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// setError says what a malformed value should have looked like; the flag
// package's own message ("parse error") does not.
func setError(f *flag.Flag, err error) string {
	switch f.Value.(flag.Getter).Get().(type) {
	case time.Duration:
		return "want a duration such as 10s, 1m30s or 500ms (0: none)"
	case int:
		return "want a whole number"
	case bool:
		return "want true or false"
	}
	return err.Error()
}

// printUsage writes the command's usage: its synopsis, what it does, its flags.
func (fs *flagSet) printUsage() {
	w := fs.stdout
	fmt.Fprintf(w, "Usage: pivotal %s %s\n\n%s\n", fs.name, fs.synopsis, fs.about)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s", f.Name)
		if name != "" {
			fmt.Fprintf(w, " %s", name)
		}
		fmt.Fprintf(w, "\n      %s", usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		if env := fs.env[f.Name]; env != "" {
			fmt.Fprintf(w, " [env %s]", env)
		}
		fmt.Fprintln(w)
	})
}

// usageError is a mistake on the command line: nothing was done, the exit
// status is 2 and the message points to the command's --help.
type usageError struct {
	cmd, msg string
}

func (e *usageError) Error() string { return e.msg }

// requireWorkspace checks the --workspace of a command that needs one.
func (fs *flagSet) requireWorkspace(slug string) error {
	if slug == "" {
		return fs.usageError("--workspace is required")
	}
	return fs.check(resolvers.ValidateWorkspaceSlug(slug))
}

func (fs *flagSet) usageError(format string, args ...any) error {
	return &usageError{cmd: fs.name, msg: fmt.Sprintf(format, args...)}
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
