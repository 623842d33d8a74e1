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

	"pivotal/httpmw"
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
		return migrateCommand(ctx, args, log)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}
