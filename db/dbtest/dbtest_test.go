package dbtest

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// TestNewDatabase runs copies of one test in parallel: each gets its own migrated,
// empty database, so each sees only its own rows.
func TestNewDatabase(t *testing.T) {
	if (os.Getenv("DATABASE_URL") == "") != (Cluster() != nil) {
		t.Fatalf("Cluster() = %v with DATABASE_URL=%q", Cluster(), os.Getenv("DATABASE_URL"))
	}
	urls := make(chan string, 8)
	t.Run("group", func(t *testing.T) {
		for i := range cap(urls) {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				u := NewDatabase(t)
				urls <- u
				sqldb, err := sql.Open("postgres", u)
				if err != nil {
					t.Fatal(err)
				}
				defer sqldb.Close()
				var n int
				if err := sqldb.QueryRow("SELECT count(*) FROM customers").Scan(&n); err != nil || n != 0 {
					t.Fatalf("customers: %d rows, %v; want an empty migrated table", n, err)
				}
				slug := fmt.Sprintf("ws-%d", i)
				if _, err := sqldb.Exec("INSERT INTO workspaces (id, slug, name) VALUES ($1, $1, $1)", slug); err != nil {
					t.Fatal(err)
				}
				if err := sqldb.QueryRow("SELECT count(*) FROM workspaces").Scan(&n); err != nil || n != 1 {
					t.Fatalf("workspaces: %d rows, %v; want only this test's one", n, err)
				}
			})
		}
	})
	close(urls)

	// The databases are gone once their tests are done.
	seen := map[string]bool{}
	for u := range urls {
		if seen[u] {
			t.Errorf("two tests got %s", u)
		}
		seen[u] = true
		name := u[strings.LastIndexAny(u, "/=")+1:]
		var exists bool
		if err := admin.QueryRow("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
			t.Errorf("database %s after its test: exists=%v, %v", name, exists, err)
		}
	}
}

func TestAdminURL(t *testing.T) {
	sqldb, err := sql.Open("postgres", AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	var n int
	if err := sqldb.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", template).Scan(&n); err != nil || n != 1 {
		t.Fatalf("template %s: %d, %v", template, n, err)
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable", "postgres://u:p@127.0.0.1:5432/x?sslmode=disable"},
		{"postgresql://h", "postgresql://h/x"},
		{"postgres://h/db?dbname=other&sslmode=disable", "postgres://h/x?sslmode=disable"},
		{"host=/tmp port=5432 dbname=postgres sslmode=disable", "host=/tmp port=5432 sslmode=disable dbname=x"},
		{"host='/tmp/a b'  user = me", `host='/tmp/a b' user=me dbname=x`},
		{`password='it\'s' dbname = 'a b'`, `password='it\'s' dbname=x`},
	} {
		got, err := withDatabase(tc.in, "x")
		if err != nil || got != tc.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"host", "host='/tmp"} {
		if got, err := withDatabase(bad, "x"); err == nil {
			t.Errorf("withDatabase(%q) = %q, want an error", bad, got)
		}
	}
}
