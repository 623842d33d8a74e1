package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"pivotal/db"
	"pivotal/localpg"
)

// migrateCommand applies the migrations embedded in the binary.
func migrateCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("migrate", "[FLAGS]",
		"Applies the database migrations embedded in the binary (serve and every command also\n"+
			"apply them before anything else), then prints the schema version.", stdout)
	oneShotFlags(fs, &c)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	return withDatabase(ctx, c, quiet(log, c.Verbose), func(store *db.DB) error {
		v, err := db.SchemaVersion(ctx, store.DB.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "migrated: schema version %d\n", v)
		return nil
	})
}

// withDatabase opens the configured database (starting the embedded cluster
// when there is no URL), migrates it, runs fn and closes everything.
func withDatabase(ctx context.Context, c config, log *slog.Logger, fn func(*db.DB) error) error {
	url, cluster, err := databaseURL(ctx, c, log)
	if err != nil {
		return err
	}
	if cluster != nil {
		defer func() {
			if err := cluster.Stop(); err != nil {
				log.Error("stopping embedded PostgreSQL", "err", err)
			}
		}()
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

// databaseURL is where every command finds its database: DATABASE_URL, or
// else the embedded cluster in the data directory, started or reused, with its
// database "pivotal". A returned cluster is the caller's to stop.
func databaseURL(ctx context.Context, c config, log *slog.Logger) (string, *localpg.Cluster, error) {
	if c.DatabaseURL != "" {
		return c.DatabaseURL, nil, nil
	}
	cluster, url, err := localpg.Open(ctx, c.DataDir, "pivotal", log)
	return url, cluster, err
}
