// Command pivotal serves the pivotal GraphQL API and the Pivotal REST v1
// compatibility layer over PostgreSQL.
//
//	pivotal serve [--addr 127.0.0.1:8080] [--demo]   (the default command)
//	pivotal keys create --workspace SLUG [--name NAME] [--test] [--tier standard|paid|unlimited]
//	pivotal keys list --workspace SLUG
//	pivotal keys revoke KEY
//	pivotal migrate
//	pivotal seed --workspace SLUG [--customers N] [--contacts N] [--onboardings N]
//
// With no DATABASE_URL the server runs its own PostgreSQL in PIVOTAL_DATA_DIR.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"pivotal/db"
	"pivotal/httpmw"
	"pivotal/metrics"
	"pivotal/ratelimit"
)

func main() {
	log := newLogger(os.Stderr)
	if err := run(context.Background(), os.Args[1:], os.Stdout, log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "pivotal:", err)
		os.Exit(1)
	}
}

// newLogger logs JSON when stderr is not a terminal, text otherwise.
func newLogger(w *os.File) *slog.Logger {
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("PIVOTAL_LOG_FORMAT") != "json" {
		return slog.New(httpmw.WithRequestIDs(slog.NewTextHandler(w, nil)))
	}
	return slog.New(httpmw.WithRequestIDs(slog.NewJSONHandler(w, nil)))
}

const usage = `pivotal — GraphQL and REST v1 API for customer onboarding.

Usage:
  pivotal [serve] [--addr ADDR] [--demo]
  pivotal keys create --workspace SLUG [--name NAME] [--test] [--tier standard|paid|unlimited]
  pivotal keys list --workspace SLUG
  pivotal keys revoke KEY            (the key's id, its visible prefix, or the full key)
  pivotal migrate
  pivotal seed --workspace SLUG [--customers 1000] [--contacts 5] [--onboardings 3] [--key-tier unlimited]

Environment (each flag's default comes from its variable):
  PIVOTAL_ADDR          listen address (default 127.0.0.1:8080)
  DATABASE_URL          PostgreSQL URL; unset: a private cluster in PIVOTAL_DATA_DIR
  PIVOTAL_DATA_DIR      data directory of the embedded PostgreSQL (default ./.pivotal)
  REDIS_URL             Redis for rate-limit windows shared by several instances
                        (redis://host:6379/0); unset: windows in memory (one instance)
  PIVOTAL_CORS_ORIGINS  comma-separated browser origins allowed by CORS (default: none)
  PIVOTAL_LOG_FORMAT    "json" forces JSON logs (default: JSON unless stderr is a terminal)
  PIVOTAL_MAX_COMPLEXITY  largest cost of a GraphQL operation (default 10000)
  PIVOTAL_METRICS_ADDR  operator listener serving /metrics (default: none)
  PIVOTAL_REQUEST_TIMEOUT, PIVOTAL_STATEMENT_TIMEOUT, PIVOTAL_SHUTDOWN_GRACE and the
  HTTP limits: see "pivotal serve --help"
`

// config is everything the commands read from flags and the environment.
type config struct {
	Addr             string
	DatabaseURL      string
	DataDir          string
	Demo             bool
	StatementTimeout time.Duration
	ShutdownGrace    time.Duration
	MaxComplexity    int
	RedisURL         string
	CORSOrigins      string
	RequestTimeout   time.Duration
	MetricsAddr      string
	HTTP             httpLimits
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// commonFlags registers the flags every command that touches the database has.
func commonFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL); empty: embedded cluster")
	fs.StringVar(&c.DataDir, "data-dir", envOr("PIVOTAL_DATA_DIR", ".pivotal"), "embedded PostgreSQL data directory (env PIVOTAL_DATA_DIR)")
}

func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage, "\nFlags of ", name, ":\n")
		fs.PrintDefaults()
	}
	return fs
}

func run(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, log)
	case "keys":
		return keysCommand(ctx, args, stdout, log)
	case "seed":
		return seedCommand(ctx, args, stdout, log)
	case "migrate":
		var c config
		fs := newFlagSet("migrate", os.Stderr)
		commonFlags(fs, &c)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return withDatabase(ctx, c, log, func(store *db.DB) error {
			log.Info("migrations applied")
			return nil
		})
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

// withDatabase opens the configured database (starting the embedded cluster
// when there is no URL), migrates it, runs fn and closes everything.
func withDatabase(ctx context.Context, c config, log *slog.Logger, fn func(*db.DB) error) error {
	url := c.DatabaseURL
	if url == "" {
		cluster, err := db.StartCluster(ctx, c.DataDir, log)
		if err != nil {
			return err
		}
		defer func() {
			if err := cluster.Stop(); err != nil {
				log.Error("stopping embedded PostgreSQL", "err", err)
			}
		}()
		if err := ensureDatabase(ctx, cluster.URL("postgres"), "pivotal"); err != nil {
			return err
		}
		url = cluster.URL("pivotal")
	}
	store, err := db.Open(url, db.Options{StatementTimeout: c.StatementTimeout})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := waitForDatabase(ctx, store, log, 8); err != nil {
		return err
	}
	if err := db.Migrate(ctx, store.DB.DB); err != nil {
		return err
	}
	return fn(store)
}

// waitForDatabase retries the first connection with backoff (doubling from
// 200ms, at most 10s apart). maxAttempts 0 retries until ctx ends: the server
// keeps answering 503 meanwhile; the one-shot commands give up.
func waitForDatabase(ctx context.Context, store *db.DB, log *slog.Logger, maxAttempts int) error {
	delay := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := store.PingContext(ctx)
		if err == nil {
			if attempt > 1 {
				log.Info("database reachable", "attempts", attempt)
			}
			return nil
		}
		if attempt == maxAttempts || ctx.Err() != nil {
			return fmt.Errorf("database unreachable: %w", err)
		}
		log.Warn("database unreachable; retrying (the API answers 503 meanwhile)", "attempt", attempt, "retry_in", delay.String(), "err", err.Error())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// ensureDatabase creates database name on the server of adminURL if missing.
func ensureDatabase(ctx context.Context, adminURL, name string) error {
	admin, err := db.Open(adminURL, db.Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer admin.Close()
	var exists bool
	if err := admin.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
			return fmt.Errorf("embedded PostgreSQL: %w", err)
		}
	}
	return nil
}

// newLimiter returns the rate limiter: windows in Redis when url is set, so
// that instances share one budget, in memory otherwise. An unreachable Redis
// is not fatal: the limiter fails open until it comes back.
func newLimiter(ctx context.Context, url string, log *slog.Logger) (*ratelimit.Limiter, func(), error) {
	if url == "" {
		log.Info("rate limits kept in memory (set REDIS_URL to share them between instances)")
		return metered(ratelimit.NewLimiter(ratelimit.NewMemory(), log)), func() {}, nil
	}
	r, err := ratelimit.NewRedis(url)
	if err != nil {
		return nil, nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := r.Ping(pctx); err != nil {
		log.Warn("Redis unreachable; rate limits fail open until it answers", "err", err.Error())
	} else {
		log.Info("rate limits kept in Redis")
	}
	return metered(ratelimit.NewLimiter(r, log)), func() { r.Close() }, nil
}

// metered counts the limiter's refusals and failures in the metrics.
func metered(l *ratelimit.Limiter) *ratelimit.Limiter {
	l.OnReject = metrics.RateLimitRejections.Inc
	l.OnFailOpen = metrics.RateLimitFailOpen.Inc
	return l
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

func durationEnv(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
