package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"pivotal/db"
	"pivotal/localpg"
)

// migrateCommand applies the migrations embedded in the binary.
func migrateCommand(ctx context.Context, args []string, log *slog.Logger) error {
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
}

// withDatabase opens the configured database (starting the embedded cluster
// when there is no URL), migrates it, runs fn and closes everything.
func withDatabase(ctx context.Context, c config, log *slog.Logger, fn func(*db.DB) error) error {
	url := c.DatabaseURL
	if url == "" {
		cluster, err := localpg.StartCluster(ctx, c.DataDir, log)
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
