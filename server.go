// Command pivotal serves the pivotal GraphQL API, the Pivotal REST v1
// compatibility layer and GraphiQL over PostgreSQL, and manages keys and data.
//
//	pivotal [serve] [--addr 127.0.0.1:8080] [--demo]   (the default command)
//	pivotal keys create --workspace SLUG [--name NAME] [--test] [--tier standard|paid|unlimited]
//	pivotal keys list --workspace SLUG
//	pivotal keys revoke KEY
//	pivotal webhooks create --workspace SLUG --url URL [--description TEXT] [--events TYPES] [--test]
//	pivotal webhooks list --workspace SLUG
//	pivotal webhooks delete --workspace SLUG ID
//	pivotal migrate
//	pivotal seed --workspace SLUG [--customers N] [--contacts N] [--onboardings N]
//	pivotal help [COMMAND]
//
// This file holds main, the command table and the usage; config.go every
// configuration flag and its environment variable; each command has its file.
// With no DATABASE_URL the commands run their own PostgreSQL in PIVOTAL_DATA_DIR.
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

// Exit statuses.
const (
	exitOK      = 0 // done, or help was asked for
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command line was wrong; nothing was done
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, newLogger(os.Stderr))
	os.Exit(exitStatus(err, os.Stderr))
}

// exitStatus reports err on stderr and returns the process's exit status: a
// usage error is one line and a pointer to the command's --help.
func exitStatus(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		name := strings.TrimSpace("pivotal " + ue.cmd)
		fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", name, ue.msg, name)
		return exitUsage
	}
	fmt.Fprintln(stderr, "pivotal:", err)
	return exitFailure
}

// newLogger logs JSON when stderr is not a terminal, text otherwise.
func newLogger(w *os.File) *slog.Logger {
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("PIVOTAL_LOG_FORMAT") != "json" {
		return slog.New(httpmw.WithRequestIDs(slog.NewTextHandler(w, nil)))
	}
	return slog.New(httpmw.WithRequestIDs(slog.NewJSONHandler(w, nil)))
}

// quiet is the logger of a one-shot command: errors only, unless --verbose.
func quiet(log *slog.Logger, verbose bool) *slog.Logger {
	if verbose {
		return log
	}
	return slog.New(minLevel{log.Handler(), slog.LevelError})
}

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

const usage = `pivotal — GraphQL API, Pivotal REST v1 and GraphiQL for customer onboarding.

Usage: pivotal [COMMAND] [FLAGS]

Commands:
  serve         serve the API and GraphiQL (the default command)
  keys create   create an API key and print it
  keys list     list a workspace's keys
  keys revoke   revoke a key
  webhooks      create, list or delete webhook endpoints
  migrate       apply the database migrations
  seed          bulk-load a workspace with synthetic customers
  help          print a command's usage: pivotal help COMMAND

Every configuration flag has an environment variable; 'pivotal help COMMAND'
lists a command's flags and variables. Without DATABASE_URL every command uses
a private PostgreSQL cluster in PIVOTAL_DATA_DIR (default ./.pivotal).
`

// run runs the command of args (serve when there is none). Help goes to
// stdout; a usage error is a *usageError.
func run(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	cmd := "serve"
	switch {
	case len(args) > 0 && isHelp(args[0]):
		fmt.Fprint(stdout, usage)
		return flag.ErrHelp
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, stdout, log)
	case "keys":
		return keysCommand(ctx, args, stdout, log)
	case "webhooks":
		return webhooksCommand(ctx, args, stdout, log)
	case "seed":
		return seedCommand(ctx, args, stdout, log)
	case "migrate":
		return migrateCommand(ctx, args, stdout, log)
	case "help":
		if len(args) == 0 {
			fmt.Fprint(stdout, usage)
			return flag.ErrHelp
		}
		// The usage of a command is what its --help prints.
		return run(ctx, append(args[:len(args):len(args)], "--help"), stdout, log)
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", cmd)}
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// subcommand is one of a command's subcommands (keys create, webhooks list…).
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error
}

// runSubcommand runs the subcommand args[0] of cmd, or prints cmd's usage.
func runSubcommand(ctx context.Context, cmd, usage string, subs []subcommand, args []string, stdout io.Writer, log *slog.Logger) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	want := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	if len(args) == 0 {
		return &usageError{cmd: cmd, msg: "want a command: " + want}
	}
	sub, args := args[0], args[1:]
	if isHelp(sub) {
		fmt.Fprint(stdout, usage)
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == sub {
			return s.run(ctx, args, stdout, log)
		}
	}
	return &usageError{cmd: cmd, msg: fmt.Sprintf("unknown command %q; want %s", sub, want)}
}
