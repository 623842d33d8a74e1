package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"pivotal/db"
	"pivotal/resolvers"
)

// seedCommand bulk-loads a workspace with synthetic customers, contacts and
// onboardings (the benchmark's data set) and prints a fresh key for it.
func seedCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("seed", "--workspace SLUG [--customers 1000] [--contacts 5] [--onboardings 3] [--dense] [--key-tier unlimited]",
		"Bulk-loads workspace SLUG (created if it does not exist) with synthetic customers, contacts\n"+
			"and onboardings, as the benchmark uses them, and prints a new key for it on stdout.", stdout)
	ws := fs.String("workspace", "", "workspace `SLUG`; created if it does not exist (required)")
	customers := fs.Int("customers", 1000, "customers to add (1–1000000)")
	contacts := fs.Int("contacts", 5, "contacts per customer (0–100); the first is the primary")
	onboardings := fs.Int("onboardings", 3, "onboardings per customer (0–100)")
	dense := fs.Bool("dense", false, "spread every status, state and phase evenly (without it a few are sparse: 0.1 % of rows or fewer)")
	tier := fs.String("key-tier", "unlimited", "rate-limit `TIER` of the printed key: standard, paid or unlimited")
	printKey := fs.Bool("key", true, "create a key named \"seed\" for the workspace and print it on stdout")
	oneShotFlags(fs, &c)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	switch {
	case *ws == "":
		return fs.usageError("--workspace is required")
	case *customers < 1 || *customers > 1_000_000:
		return fs.usageError("--customers must be 1–1000000")
	case *contacts < 0 || *contacts > 100:
		return fs.usageError("--contacts must be 0–100")
	case *onboardings < 0 || *onboardings > 100:
		return fs.usageError("--onboardings must be 0–100")
	}
	if err := fs.check(resolvers.ValidateOperatorKey(*ws, "seed", *tier)); err != nil {
		return err
	}
	log = quiet(log, c.Verbose)
	return withDatabase(ctx, c, log, func(store *db.DB) error {
		res := resolvers.New(store, log)
		// Creating the key first validates the slug and tier and creates the
		// workspace through the operator path; the rows come after.
		var secret string
		if *printKey {
			k, err := res.OperatorCreateKey(ctx, *ws, "seed", false, *tier)
			if err != nil {
				return cliError(err)
			}
			secret = k.Secret
		}
		w, err := db.EnsureWorkspace(ctx, store, *ws, *ws)
		if err != nil {
			return err
		}
		began := time.Now()
		n, err := db.Seed(ctx, store, w.ID, db.SeedSpec{
			Customers: *customers, ContactsPer: *contacts, OnboardingsPer: *onboardings, Dense: *dense, Actor: "API: seed",
		})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		log.Info("seeded", "workspace", *ws, "customers", n.Customers, "contacts", n.Contacts,
			"onboardings", n.Onboardings, "elapsed", time.Since(began).Round(time.Millisecond).String())
		if secret != "" {
			fmt.Fprintln(stdout, secret)
		}
		return nil
	})
}
