package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/resolvers"
)

// keysCommand is the operator's key management: create, list, revoke.
func keysCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return fmt.Errorf("keys: want create, list or revoke; see pivotal --help")
	}
	sub, args := args[0], args[1:]
	var c config
	fs := newFlagSet("keys "+sub, os.Stderr)
	commonFlags(fs, &c)
	switch sub {
	case "create":
		ws := fs.String("workspace", "", "workspace slug; created if it does not exist (required)")
		name := fs.String("name", "default", "the key's name, shown in audit trails as 'API: NAME'")
		test := fs.Bool("test", false, "create a test key (pivotal_test_…)")
		tier := fs.String("tier", "standard", "rate-limit tier: standard, paid or unlimited")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *ws == "" {
			return errors.New("keys create: --workspace is required")
		}
		return withDatabase(ctx, c, log, func(store *db.DB) error {
			k, err := resolvers.New(store, log).OperatorCreateKey(ctx, *ws, *name, *test, *tier)
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintln(stdout, k.Secret)
			return nil
		})
	case "list":
		ws := fs.String("workspace", "", "workspace slug (required)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *ws == "" {
			return errors.New("keys list: --workspace is required")
		}
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
	case "revoke":
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("keys revoke: want exactly one KEY (id, visible prefix or full key)")
		}
		return withDatabase(ctx, c, log, func(store *db.DB) error {
			k, err := resolvers.New(store, log).OperatorRevokeKey(ctx, fs.Arg(0))
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(stdout, "revoked %s (%s)\n", k.ID, k.Prefix)
			return nil
		})
	}
	return fmt.Errorf("keys: unknown subcommand %q", sub)
}

func optTime(t *gqltypes.Time) string {
	if t == nil {
		return "-"
	}
	return gqltypes.FormatTime(t.Time())
}

func cliError(err error) error {
	if e := apperr.From(err); e != nil {
		return errors.New(e.Message)
	}
	return err
}
