package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/resolvers"
)

const keysUsage = `Usage: pivotal keys create|list|revoke [FLAGS]

Manage API keys. Keys are stored as SHA-256 hashes; a key's cleartext is
printed once, by create.

Commands:
  create   create a key (and its workspace if needed) and print it alone on stdout
  list     list a workspace's keys: id, visible prefix, name, mode, tier, dates
  revoke   revoke a key by id, visible prefix or full key; effective on the next request

Run 'pivotal help keys COMMAND' for a command's flags.
`

// keysCommand is the operator's key management: create, list, revoke.
func keysCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	return runSubcommand(ctx, "keys", keysUsage, []subcommand{{"create", keysCreate}, {"list", keysList}, {"revoke", keysRevoke}}, args, stdout, log)
}

func keysCreate(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("keys create", "--workspace SLUG [--name NAME] [--test] [--tier standard|paid|unlimited]",
		"Creates an API key in workspace SLUG (created if it does not exist) and prints the key\n"+
			"alone on stdout. It is shown only this once.", stdout)
	ws := fs.String("workspace", "", "workspace `SLUG`; created if it does not exist (required)")
	name := fs.String("name", "default", "the key's `NAME`, shown in audit trails as 'API: NAME'")
	test := fs.Bool("test", false, "create a test key (pivotal_test_…)")
	tier := fs.String("tier", "standard", "rate-limit `TIER`: standard, paid or unlimited")
	oneShotFlags(fs, &c)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	if *ws == "" {
		return fs.usageError("--workspace is required")
	}
	if err := fs.check(resolvers.ValidateOperatorKey(*ws, *name, *tier)); err != nil {
		return err
	}
	log = quiet(log, c.Verbose)
	return withDatabase(ctx, c, log, func(store *db.DB) error {
		k, err := resolvers.New(store, log).OperatorCreateKey(ctx, *ws, *name, *test, *tier)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, k.Secret)
		return nil
	})
}

func keysList(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("keys list", "--workspace SLUG",
		"Lists the keys of workspace SLUG, newest first: id, visible prefix, name, mode, tier,\n"+
			"creation, last use and revocation. Secrets are never shown.", stdout)
	ws := fs.String("workspace", "", "workspace `SLUG` (required)")
	oneShotFlags(fs, &c)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	if err := fs.requireWorkspace(*ws); err != nil {
		return err
	}
	log = quiet(log, c.Verbose)
	return withDatabase(ctx, c, log, func(store *db.DB) error {
		ks, err := resolvers.New(store, log).OperatorListKeys(ctx, *ws)
		if err != nil {
			return cliError(err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tMODE\tTIER\tCREATED\tLAST USED\tREVOKED")
		for _, k := range ks {
			mode := "live"
			if !k.Livemode {
				mode = "test"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, mode,
				resolvers.RESTEnum(k.RateLimitTier), gqltypes.FormatTime(k.CreatedAt.Time()),
				optTime(k.LastUsedAt), optTime(k.RevokedAt))
		}
		return tw.Flush()
	})
}

func keysRevoke(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("keys revoke", "KEY",
		"Revokes KEY: the key's id, its visible prefix (pivotal_XXXXXXXX) or the full key.\n"+
			"Every instance refuses it from its next request on. Revoking a revoked key changes nothing.", stdout)
	oneShotFlags(fs, &c)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fs.usageError("want exactly one KEY (id, visible prefix or full key), got %d", fs.NArg())
	}
	ref := fs.Arg(0)
	if err := fs.check(resolvers.ValidateKeyRef(ref)); err != nil {
		return err
	}
	log = quiet(log, c.Verbose)
	return withDatabase(ctx, c, log, func(store *db.DB) error {
		k, already, err := resolvers.New(store, log).OperatorRevokeKey(ctx, ref)
		if err != nil {
			return cliError(err)
		}
		if already {
			fmt.Fprintf(stdout, "%s (%s) was already revoked at %s\n", k.ID, k.Prefix, optTime(k.RevokedAt))
			return nil
		}
		fmt.Fprintf(stdout, "revoked %s (%s)\n", k.ID, k.Prefix)
		return nil
	})
}

func optTime(t *gqltypes.Time) string {
	if t == nil {
		return "-"
	}
	return gqltypes.FormatTime(t.Time())
}

// check turns a validation error of the command's input into a usage error.
func (fs *flagSet) check(err error) error {
	if err != nil {
		return fs.usageError("%s", cliError(err))
	}
	return nil
}

// cliError is an application error's message, for a terminal.
func cliError(err error) error {
	if e := apperr.From(err); e != nil {
		return errors.New(e.Message)
	}
	return err
}
