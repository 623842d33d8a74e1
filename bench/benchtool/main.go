// Command benchtool holds the parts of bench/run.sh that are easier in Go:
//
//	benchtool cluster DIR          start a throwaway PostgreSQL in DIR (unix socket only),
//	                               create database "pivotal", print shell variables
//	                               (PGHOST, PGPORT, PGUSER, PGDATABASE, DATABASE_URL, PGLOG)
//	                               and keep it running until SIGINT or SIGTERM
//	benchtool pgscript LOG OFFSET  print, as a pgbench script, the statements PostgreSQL
//	                               logged (log_statement = all) after byte OFFSET of LOG,
//	                               with their logged parameters inlined as literals
//	benchtool interleave N NAME=URL=KEY...
//	                               POST /api/v1/customers N times to each server in turn,
//	                               print each one's p50 and p90 (bench/outbox.sh)
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"pivotal/db"
	"pivotal/localpg"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: benchtool cluster DIR | benchtool pgscript LOG OFFSET | benchtool interleave N NAME=URL=KEY...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "cluster":
		err = cluster(os.Args[2])
	case "interleave":
		err = interleave(os.Args[2:], os.Stdout)
	case "pgscript":
		if len(os.Args) != 4 {
			err = fmt.Errorf("pgscript: want LOG OFFSET")
			break
		}
		err = pgscript(os.Args[2], os.Args[3], os.Stdout)
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
	defer c.Stop()
	admin, err := db.Open(c.URL("postgres"), db.Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	_, err = admin.ExecContext(ctx, `CREATE DATABASE pivotal`)
	admin.Close()
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

// pgscript turns the log_statement lines after offset into a pgbench script.
func pgscript(logPath, offset string, w io.Writer) error {
	off, err := strconv.ParseInt(offset, 10, 64)
	if err != nil {
		return err
	}
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	stmts := parseStatementLog(string(b))
	if len(stmts) == 0 {
		return fmt.Errorf("no statements logged after offset %d of %s", off, logPath)
	}
	for _, s := range stmts {
		fmt.Fprintln(w, s+";")
	}
	return nil
}
