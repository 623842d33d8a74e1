package faulttest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"pivotal/db"
	"pivotal/db/dbtest"
)

func openStore(t *testing.T) *db.DB {
	t.Helper()
	store, err := db.Open(dbtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// Two SERIALIZABLE transactions that each read what the other writes (write
// skew): PostgreSQL aborts one with 40001, and Transact runs it again, so both
// callers succeed and both rows exist.
func TestTransactRetriesARealSerializationFailure(t *testing.T) {
	store := openStore(t)
	ctx := context.Background()
	if _, err := store.ExecContext(ctx, `CREATE TABLE skew (who text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	var bothRead sync.WaitGroup
	bothRead.Add(2)
	var failures atomic.Int32
	run := func(who string) error {
		first := true
		return store.Transact(ctx, func(tx *sqlx.Tx) error {
			calls.Add(1)
			if _, err := tx.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`); err != nil {
				return err
			}
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM skew`); err != nil {
				return err
			}
			if first { // only the first attempts meet: a retry runs alone
				first = false
				bothRead.Done()
				bothRead.Wait()
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO skew (who) VALUES ($1)`, who)
			if db.IsRetryable(db.Classify(err)) {
				failures.Add(1)
			}
			return err
		})
	}
	errs := make(chan error, 2)
	for _, who := range []string{"a", "b"} {
		go func() { errs <- run(who) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Transact: %v (kind %v)", err, db.KindOf(err))
		}
	}
	var rows int
	if err := store.GetContext(ctx, &rows, `SELECT count(*) FROM skew`); err != nil {
		t.Fatal(err)
	}
	if rows != 2 {
		t.Errorf("%d rows, want 2", rows)
	}
	// One transaction failed (at INSERT or at COMMIT) and ran again.
	if c := calls.Load(); c != 3 {
		t.Errorf("fn ran %d times, want 3 (two first attempts and one retry); failures at INSERT: %d", c, failures.Load())
	}
}

// Retryable errors are retried up to the bound; other errors are not retried.
func TestTransactRetryBound(t *testing.T) {
	store := openStore(t)
	ctx := context.Background()
	serialization := &pq.Error{Code: "40001", Message: "could not serialize access"}
	deadlock := &pq.Error{Code: "40P01", Message: "deadlock detected"}

	calls := 0
	err := store.Transact(ctx, func(tx *sqlx.Tx) error {
		calls++
		if calls <= 2 {
			return serialization
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("two serialization failures then success: err %v after %d calls, want nil after 3", err, calls)
	}

	calls = 0
	err = store.Transact(ctx, func(tx *sqlx.Tx) error { calls++; return deadlock })
	if !db.IsRetryable(err) || calls != 5 {
		t.Errorf("deadlock every time: err %v after %d calls, want a retryable error after 5", err, calls)
	}

	calls = 0
	plain := errors.New("validation failed")
	err = store.Transact(ctx, func(tx *sqlx.Tx) error { calls++; return plain })
	if !errors.Is(err, plain) || calls != 1 {
		t.Errorf("plain error: err %v after %d calls, want it after 1", err, calls)
	}

	// A retried transaction's writes from failed attempts are rolled back.
	if _, err := store.ExecContext(ctx, `CREATE TABLE attempts (n int)`); err != nil {
		t.Fatal(err)
	}
	calls = 0
	err = store.Transact(ctx, func(tx *sqlx.Tx) error {
		calls++
		if _, err := tx.ExecContext(ctx, `INSERT INTO attempts VALUES ($1)`, calls); err != nil {
			return err
		}
		if calls < 3 {
			return serialization
		}
		return nil
	})
	var got []int
	if err == nil {
		err = store.SelectContext(ctx, &got, `SELECT n FROM attempts`)
	}
	if err != nil || len(got) != 1 || got[0] != 3 {
		t.Errorf("rows after two failed attempts and a success: %v, err %v; want [3]", got, err)
	}
}
