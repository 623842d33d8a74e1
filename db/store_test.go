// The store against a real PostgreSQL: options that reach the server,
// counters, and the statement counter. An external test package, so that it
// can use dbtest (which imports db) and sees db only as its callers do.
package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"pivotal/db"
	"pivotal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func open(t *testing.T, o db.Options) *db.DB {
	t.Helper()
	store, err := db.Open(dbtest.NewDatabase(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func TestStatementTimeoutReachesServer(t *testing.T) {
	store := open(t, db.Options{StatementTimeout: 1500 * time.Millisecond})
	var v string
	if err := store.Get(&v, `SHOW statement_timeout`); err != nil || v != "1500ms" {
		t.Fatalf("statement_timeout = %q, %v", v, err)
	}
	_, err := store.Exec(`SELECT pg_sleep(3)`)
	if db.KindOf(err) != db.Canceled {
		t.Fatalf("a statement past the timeout: kind %v, err %v", db.KindOf(err), err)
	}
}

func TestStatsCountEveryStatement(t *testing.T) {
	store := open(t, db.Options{})
	ctx, stats := db.WithStats(context.Background())
	var n int
	store.GetContext(ctx, &n, `SELECT 1`)
	err := store.Transact(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT 2`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// SELECT 1, BEGIN, SELECT 2, COMMIT.
	if got := stats.Statements(); got != 4 {
		t.Fatalf("counted %d statements, want 4", got)
	}
}

func TestWorkspacesAndCounters(t *testing.T) {
	store := open(t, db.Options{})
	ctx := context.Background()
	ws, err := db.EnsureWorkspace(ctx, store, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	again, err := db.EnsureWorkspace(ctx, store, "acme", "Other name")
	if err != nil || again.ID != ws.ID || again.Name != "Acme" {
		t.Fatalf("EnsureWorkspace is not idempotent: %+v %v", again, err)
	}
	// Concurrent inserts get distinct display ids and distinct created_at.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- store.Transact(ctx, func(tx *sqlx.Tx) error {
				c := db.Customer{WorkspaceID: ws.ID, Name: "c", Slug: "c-" + string(rune('a'+i)), Status: "active"}
				return db.InsertCustomer(ctx, tx, &c)
			})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var distinct struct {
		IDs   int `db:"ids"`
		Times int `db:"times"`
		Max   int `db:"max"`
	}
	store.Get(&distinct, `SELECT count(DISTINCT display_id) AS ids, count(DISTINCT created_at) AS times, max(display_id) AS max FROM customers`)
	if distinct.IDs != 20 || distinct.Times != 20 || distinct.Max != 20 {
		t.Fatalf("display ids / created_at not unique and dense: %+v", distinct)
	}
}

func TestUniqueViolationIsClassified(t *testing.T) {
	store := open(t, db.Options{})
	ctx := context.Background()
	ws, _ := db.EnsureWorkspace(ctx, store, "acme", "Acme")
	insert := func() error {
		c := db.Customer{WorkspaceID: ws.ID, Name: "c", Slug: "same", Status: "active"}
		return db.InsertCustomer(ctx, store, &c)
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	err := insert()
	var e *db.Error
	if db.KindOf(err) != db.UniqueViolation || !errors.As(err, &e) || e.Constraint != "customers_slug" {
		t.Fatalf("got %v", err)
	}
}
