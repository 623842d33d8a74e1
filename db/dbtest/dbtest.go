// Package dbtest gives the tests of every package a real, migrated PostgreSQL
// database: one server per test binary (DATABASE_URL, or a throwaway private
// cluster), one migrated template database, and a fresh copy of it per test.
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := dbtest.NewDatabase(t)
//		…
//	}
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/lib/pq"

	"pivotal/auth/leaktest"
	"pivotal/db"
	"pivotal/localpg"
)

// Set by Main, read-only while the tests run.
var (
	adminURL string
	template string
	admin    *sql.DB
	cluster  *localpg.Cluster
)

// Main is called from TestMain: it provides a PostgreSQL server for this test
// binary — DATABASE_URL when set (any libpq URL or keyword DSN), else a throwaway
// cluster via localpg.StartThrowawayCluster in a fresh temporary directory removed
// afterwards (also on failure) — creates a template database migrated with
// db.Migrate, runs m.Run(), cleans up, and exits with m.Run's code.
func Main(m *testing.M) {
	os.Exit(run(m))
}

// Run is Main without the exit: it returns m.Run's code after cleaning up, so
// that a TestMain can check something about the whole run before exiting.
func Run(m *testing.M) int { return run(m) }

// NewDatabase returns the URL of a fresh database for this test, a copy of the
// migrated template, dropped when the test and its cleanups are done. Names are
// random, so packages running in parallel can share one DATABASE_URL server.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if admin == nil {
		t.Fatal("dbtest.NewDatabase: no server; call dbtest.Main(m) from TestMain")
	}
	name := "pivotal_" + identPart(t.Name(), 30) + "_" + randomHex(5)
	create := "CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(template)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for attempt := 1; ; attempt++ {
		_, err := admin.ExecContext(ctx, create)
		if err == nil {
			break
		}
		// The template is busy while a backend that used it exits (the migration's,
		// an autovacuum worker); postgres waits 5s for those, and so do we, again.
		if sqlState(err) != "55006" || attempt == 5 {
			t.Fatalf("dbtest: %s: %v", create, err)
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
	t.Cleanup(func() {
		if err := dropDatabase(name); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	u, err := withDatabase(adminURL, name)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return u
}

// AdminURL returns the maintenance URL of the server (for tests that need to
// stop or restart it, create roles, etc.).
func AdminURL() string { return adminURL }

// Cluster returns the *localpg.Cluster when Main started one (nil when DATABASE_URL
// was used).
func Cluster() *localpg.Cluster { return cluster }

// StartAgain starts the throwaway cluster again after a test stopped it
// (dbtest.Cluster().Stop(), to test an outage). It runs on the same data
// directory and socket, so every URL stays valid, and Main stops it at the end.
// Call it from one goroutine; Cluster returns the new *localpg.Cluster afterwards.
func StartAgain(ctx context.Context) error {
	if cluster == nil {
		return errors.New("dbtest.StartAgain: no throwaway cluster (DATABASE_URL is set)")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := localpg.StartThrowawayCluster(ctx, cluster.Dir(), log)
	if err != nil {
		return err
	}
	if c.URL("postgres") != cluster.URL("postgres") {
		c.Stop()
		return fmt.Errorf("dbtest.StartAgain: the cluster came back at %s, not %s", c.URL("postgres"), cluster.URL("postgres"))
	}
	cluster = c
	return nil
}

func run(m *testing.M) int {
	cleanup, err := setUp()
	defer cleanup()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	return m.Run()
}

// setUp provides the server and the template. The returned cleanup undoes
// whatever was done, even when setUp fails.
func setUp() (cleanup func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var undo []func()
	cleanup = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}

	if u := os.Getenv("DATABASE_URL"); u != "" {
		adminURL = u
	} else {
		root := tempRoot()
		removeStale(root)
		base, err := os.MkdirTemp(root, fmt.Sprintf("pivotal-test-%d-", os.Getpid()))
		if err != nil {
			return cleanup, err
		}
		undo = append(undo, func() { os.RemoveAll(base) })
		// Run as root, the server runs as the postgres user, which must reach the data
		// directory through base (MkdirTemp makes it 0700).
		if err := os.Chmod(base, 0o755); err != nil {
			return cleanup, err
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		c, err := localpg.StartThrowawayCluster(ctx, filepath.Join(base, "pg"), log)
		if err != nil {
			return cleanup, err
		}
		undo = append(undo, func() {
			// cluster, not c: StartAgain may have replaced it.
			if err := cluster.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
			}
		})
		cluster, adminURL = c, c.URL("postgres")
	}

	admin, err = sql.Open("postgres", adminURL)
	if err != nil {
		return cleanup, err
	}
	undo = append(undo, func() { admin.Close() })
	if cluster != nil {
		if err := logStatements(ctx, &undo); err != nil {
			return cleanup, err
		}
	}

	template = "pivotal_template_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(template)); err != nil {
		return cleanup, fmt.Errorf("creating the template database: %w", err)
	}
	if cluster == nil { // a throwaway cluster goes away whole
		undo = append(undo, func() {
			if err := dropDatabase(template); err != nil {
				fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
			}
		})
	}
	tplURL, err := withDatabase(adminURL, template)
	if err != nil {
		return cleanup, err
	}
	tpl, err := sql.Open("postgres", tplURL)
	if err != nil {
		return cleanup, err
	}
	err = db.Migrate(ctx, tpl)
	// No connection may stay on the template, or copying it fails.
	if cerr := tpl.Close(); err == nil {
		err = cerr
	}
	return cleanup, err
}

// logStatements makes the throwaway server log every statement with its
// parameters, and hands that log to the key-leak check (auth/leaktest) before
// the cluster goes away: no API key may ever reach PostgreSQL, where it would
// sit in pg_stat_activity and in the server's log. Keys are looked up by hash.
func logStatements(ctx context.Context, undo *[]func()) error {
	for _, stmt := range []string{"ALTER SYSTEM SET log_statement = 'all'", "SELECT pg_reload_conf()"} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("dbtest: %s: %w", stmt, err)
		}
	}
	var logged string
	leaktest.Source("postgres.log (every statement and its parameters)", func() string { return logged })
	// undo runs last to first: this runs before the cluster stops and its
	// directory is removed.
	*undo = append(*undo, func() {
		b, err := os.ReadFile(cluster.LogFile())
		if err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: reading the server's log for the key-leak check: %v\n", err)
			logged = "(unreadable: " + err.Error() + ")"
			return
		}
		logged = string(b)
	})
	return nil
}

// tempRoot is where throwaway clusters live: /dev/shm when it is roomy and TMPDIR
// is not set, else the temporary directory. On tmpfs, creating a database from
// the template takes about 10ms, against 100–250ms on an ext4 /tmp.
func tempRoot() string {
	if os.Getenv("TMPDIR") == "" {
		var st syscall.Statfs_t
		if syscall.Statfs("/dev/shm", &st) == nil && uint64(st.Bavail)*uint64(st.Bsize) >= 2<<30 &&
			syscall.Access("/dev/shm", 7) == nil { // rwx
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

// removeStale removes the directories of test binaries that died without
// cleaning up (killed, timed out); their servers went with them.
func removeStale(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "pivotal-test-*-*"))
	for _, dir := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(dir), "pivotal-test-%d-", &pid); err != nil || pid <= 0 || alive(pid) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, "pg", "postmaster.pid")); err == nil {
			if spid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])); err == nil && alive(spid) {
				continue
			}
		}
		os.RemoveAll(dir)
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := pq.QuoteIdentifier(name)
	_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+q+" WITH (FORCE)")
	if sqlState(err) == "42601" { // before PostgreSQL 13: no FORCE
		_, err = admin.ExecContext(ctx,
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
		if err == nil {
			_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+q)
		}
	}
	if err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

func sqlState(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// identPart makes s a lower-case [a-z0-9_] identifier fragment of at most n
// bytes, so that a test's database says which test it belongs to.
func identPart(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() == n {
			break
		}
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// withDatabase returns dsn, a postgres:// URL or a keyword DSN, naming database
// name instead of its own.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		if q := u.Query(); q.Has("dbname") {
			q.Del("dbname")
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	pairs, err := parseKeywords(dsn)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	var parts []string
	for _, kv := range pairs {
		if kv[0] != "dbname" {
			parts = append(parts, kv[0]+"="+quoteValue(kv[1]))
		}
	}
	return strings.Join(append(parts, "dbname="+quoteValue(name)), " "), nil
}

// parseKeywords splits a keyword DSN ("host=/tmp user='a b'") the way libpq does.
func parseKeywords(dsn string) ([][2]string, error) {
	var pairs [][2]string
	s := []rune(dsn)
	i := 0
	skipSpace := func() {
		for i < len(s) && unicode.IsSpace(s[i]) {
			i++
		}
	}
	for {
		skipSpace()
		if i == len(s) {
			return pairs, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && !unicode.IsSpace(s[i]) {
			i++
		}
		key := string(s[start:i])
		skipSpace()
		if i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("missing \"=\" after %q", key)
		}
		i++
		skipSpace()
		var val []rune
		if i < len(s) && s[i] == '\'' {
			for i++; ; i++ {
				if i == len(s) {
					return nil, errors.New("unterminated quoted value")
				}
				if s[i] == '\'' {
					i++
					break
				}
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val = append(val, s[i])
			}
		} else {
			for ; i < len(s) && !unicode.IsSpace(s[i]); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val = append(val, s[i])
			}
		}
		pairs = append(pairs, [2]string{key, string(val)})
	}
}

func quoteValue(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\v\f\r'\\") {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
