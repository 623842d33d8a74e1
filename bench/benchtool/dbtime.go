package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"pivotal/db"
)

// dbtimeQuery sums what pg_stat_statements saw since its reset in this
// database: exec + plan time, calls, each statement's fastest run (min
// exec + min plan) times its calls, which a busy machine inflates far less
// than the mean (its "best case" time per request), and how many times
// statements were planned (a prepared statement PostgreSQL keeps a generic
// plan for is planned only in its first executions on a connection).
const dbtimeQuery = `SELECT coalesce(sum(total_exec_time + total_plan_time), 0), coalesce(sum(calls), 0),
		coalesce(sum((min_exec_time + min_plan_time) * calls), 0), coalesce(sum(plans), 0)
	FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND query NOT LIKE '%pg_stat_statements%'`

// dbtime sends n requests one after another (one connection, so nothing else
// competes for the database) and reads what they cost PostgreSQL from
// pg_stat_statements, reset just before: exec + plan time and calls of every
// statement but its own, divided by n. DATABASE_URL names the database;
// KEY, if set, is sent as the bearer key.
func dbtime(args []string) error {
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("dbtime: N must be a positive number")
	}
	url := args[1]
	var body []byte
	if len(args) == 3 {
		if body, err = os.ReadFile(args[2]); err != nil {
			return err
		}
	}
	ctx := context.Background()
	conn, err := db.Open(os.Getenv("DATABASE_URL"), db.Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer conn.Close()
	client := &http.Client{Timeout: time.Minute}
	send := func() error {
		method, rd := http.MethodGet, io.Reader(nil)
		if body != nil {
			method, rd = http.MethodPost, bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, url, rd)
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if k := os.Getenv("KEY"); k != "" {
			req.Header.Set("Authorization", "Bearer "+k)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && (resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`))) {
			err = fmt.Errorf("%s answered %d: %.300s", url, resp.StatusCode, b)
		}
		return err
	}
	// Warm up: plans cached, pages in memory, connections open.
	for range min(n, 20) {
		if err := send(); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		return err
	}
	began := time.Now()
	for range n {
		if err := send(); err != nil {
			return err
		}
	}
	elapsed := time.Since(began)
	var ms, calls, best, plans float64
	err = conn.QueryRowContext(ctx, dbtimeQuery).Scan(&ms, &calls, &best, &plans)
	if err != nil {
		return err
	}
	fmt.Printf("%.3f %.2f %.3f %.2f %.2f\n", ms/float64(n), calls/float64(n), best/float64(n),
		float64(elapsed.Microseconds())/1000/float64(n), plans/float64(n))
	return nil
}
