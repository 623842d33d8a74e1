package localpg

// The one way the server, the CLI and the tests get a database on a private
// cluster: start (or reuse) the cluster, then make sure the database exists.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lib/pq"
)

// Open starts the durable cluster in dir (or reuses the one running there, see
// StartCluster), makes sure database name exists on it and returns the cluster
// and that database's URL. The caller stops the cluster. On error nothing is
// left running that Open started.
func Open(ctx context.Context, dir, name string, log *slog.Logger) (*Cluster, string, error) {
	c, err := StartCluster(ctx, dir, log)
	if err != nil {
		return nil, "", err
	}
	url, err := c.EnsureDatabase(ctx, name)
	if err != nil {
		return nil, "", errors.Join(err, c.Stop())
	}
	return c, url, nil
}

// EnsureDatabase creates database name on the cluster unless it exists, and
// returns its URL.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) (string, error) {
	admin, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
			return "", fmt.Errorf("postgres: creating database %s: %w", name, err)
		}
	}
	return c.URL(name), nil
}
