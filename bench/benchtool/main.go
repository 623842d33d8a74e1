// Command benchtool holds the parts of bench/run.sh that are easier in Go:
//
//	benchtool cluster DIR          start a throwaway PostgreSQL in DIR (unix socket only)
//	                               with pg_stat_statements preloaded (track_planning on),
//	                               create database "pivotal" and the extension in it, print
//	                               shell variables (PGHOST, PGPORT, PGUSER, PGDATABASE,
//	                               DATABASE_URL, PGLOG) and keep it running until SIGINT
//	                               or SIGTERM
//	benchtool dbtime N URL [BODY]  send N requests one after another (GET, or POST of the
//	                               JSON file BODY; $KEY is the bearer key, if set) and
//	                               print the database time per request from
//	                               pg_stat_statements (exec + plan, ms), the statements
//	                               per request, the same time from each statement's
//	                               fastest run (ms), the requests' mean latency (ms), and
//	                               the statements planned per request
//	benchtool interleave N NAME=URL=KEY...
//	                               POST /api/v1/customers N times to each server in turn,
//	                               print each one's p50 and p90 (bench/outbox.sh)
//	benchtool subs BASE METRICS PID N WRITES
//	                               N GraphQL subscriptions on one server, a burst of
//	                               WRITES updates: commit→delivery percentiles,
//	                               statements per event fanned out, peak RSS (subs.go)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"pivotal/db"
	"pivotal/localpg"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: benchtool cluster DIR | benchtool dbtime N URL [BODY] | benchtool interleave N NAME=URL=KEY... | benchtool subs BASE METRICS PID N WRITES")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "cluster":
		err = cluster(os.Args[2])
	case "interleave":
		err = interleave(os.Args[2:], os.Stdout)
	case "subs":
		if len(os.Args) != 7 {
			err = fmt.Errorf("subs: want BASE METRICS PID N WRITES")
			break
		}
		err = subs(os.Args[2:])
	case "dbtime":
		if len(os.Args) != 4 && len(os.Args) != 5 {
			err = fmt.Errorf("dbtime: want N URL [BODY]")
			break
		}
		err = dbtime(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

// cluster runs a throwaway server: it is a child of this process and the
// kernel stops it if this process dies, so an interrupted bench leaves nothing
// behind.
func cluster(dir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := localpg.StartThrowawayCluster(ctx, dir, log)
	if err != nil {
		return err
	}
	// pg_stat_statements must be preloaded: set it (ALTER SYSTEM outlives the
	// restart, pivotal.conf does not hold these) and start again. The buffers
	// hold the 100,000-customer data set; a large max_wal_size keeps the seed
	// free of checkpoints.
	err = execAll(ctx, c.URL("postgres"),
		`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`,
		`ALTER SYSTEM SET shared_buffers = '512MB'`,
		`ALTER SYSTEM SET max_wal_size = '8GB'`,
		`CREATE DATABASE pivotal`)
	if err == nil {
		err = c.Stop()
	}
	if err != nil {
		c.Stop()
		return err
	}
	if c, err = localpg.StartThrowawayCluster(ctx, dir, log); err != nil {
		return err
	}
	defer c.Stop()
	// The module's own settings exist only once it is loaded.
	err = execAll(ctx, c.URL("pivotal"), `CREATE EXTENSION pg_stat_statements`,
		`ALTER SYSTEM SET pg_stat_statements.track_planning = on`, `SELECT pg_reload_conf()`)
	if err != nil {
		return err
	}
	kv := map[string]string{}
	for _, f := range strings.Fields(c.URL("pivotal")) {
		k, v, _ := strings.Cut(f, "=")
		kv[k] = v
	}
	fmt.Printf("PGHOST=%s\nPGPORT=%s\nPGUSER=%s\nPGDATABASE=pivotal\n", kv["host"], kv["port"], kv["user"])
	fmt.Printf("DATABASE_URL='%s'\nPGLOG=%s\nREADY=1\n", c.URL("pivotal"), filepath.Join(c.Dir(), "postgres.log"))
	os.Stdout.Sync()

	<-ctx.Done()
	return nil
}

// execAll runs each statement on one connection to dsn.
func execAll(ctx context.Context, dsn string, stmts ...string) error {
	conn, err := db.Open(dsn, db.Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}
