package db_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"

	"pivotal/db"
	"pivotal/db/dbtest"
)

// TestFindKeyByHashWorkspaces: each key's identity names its own workspace,
// whether the workspace's names come from the store's cache or from
// PostgreSQL; a revocation counts at the next lookup; and once a workspace is
// known, a lookup is one statement.
func TestFindKeyByHashWorkspaces(t *testing.T) {
	dsn := dbtest.NewDatabase(t)
	stores := make([]*db.DB, 2)
	for i := range stores {
		s, err := db.Open(dsn, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	store := stores[0]
	ctx := context.Background()
	type key struct {
		hash               []byte
		wsID, slug, wsName string
	}
	var keys []key
	for i, w := range []struct{ slug, name string }{{"acme", "Acme Inc"}, {"globex", "Globex Corporation"}, {"acme", ""}} {
		ws, err := db.EnsureWorkspace(ctx, store, w.slug, w.name)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte{byte(i)})
		k := db.APIKey{WorkspaceID: ws.ID, Name: "key", Prefix: "pivotal_" + string(rune('a'+i)), Hash: h[:], Livemode: true, Tier: "standard"}
		if err := db.CreateKey(ctx, store, &k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key{h[:], ws.ID, ws.Slug, ws.Name})
	}
	if keys[2].wsID != keys[0].wsID || keys[1].wsID == keys[0].wsID {
		t.Fatalf("workspaces: %+v", keys)
	}

	find := func(q db.Queryer, k key, statements int64) *db.KeyIdentity {
		t.Helper()
		ctx, stats := db.WithStats(ctx)
		id, err := db.FindKeyByHash(ctx, q, k.hash)
		if err != nil {
			t.Fatal(err)
		}
		if id.WorkspaceID != k.wsID || id.WorkspaceSlug != k.slug || id.WorkspaceName != k.wsName {
			t.Fatalf("key of %s (%s, %q) found in workspace %s (%s, %q)", k.wsID, k.slug, k.wsName,
				id.WorkspaceID, id.WorkspaceSlug, id.WorkspaceName)
		}
		if got := stats.Statements(); statements > 0 && got != statements {
			t.Fatalf("%d statements for a key of %s, want %d", got, k.slug, statements)
		}
		return id
	}
	// A workspace not yet seen costs one more statement, once.
	find(store, keys[0], 2)
	find(store, keys[1], 2)
	find(store, keys[2], 1)
	find(store, keys[1], 1)
	find(store, keys[0], 1)

	// Another store (another process) reads them afresh and agrees; so does a
	// transaction, which has no cache.
	other := stores[1]
	find(other, keys[1], 2)
	find(other, keys[0], 2)
	err := store.Transact(ctx, func(tx *sqlx.Tx) error {
		find(tx, keys[1], 2)
		find(tx, keys[0], 2)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Revocation: the key's row is read at every lookup.
	if id := find(store, keys[0], 1); id.RevokedAt != nil {
		t.Fatal("a fresh key is revoked")
	}
	if _, err := db.RevokeKey(ctx, store, keys[0].wsID, "", keys[0].hash); err != nil {
		t.Fatal(err)
	}
	if id := find(store, keys[0], 1); id.RevokedAt == nil {
		t.Fatal("a revoked key is not revoked at the next lookup")
	}
	if id := find(store, keys[2], 1); id.RevokedAt != nil {
		t.Fatal("revoking a key revoked another of its workspace")
	}
	if _, err := db.FindKeyByHash(ctx, store, []byte("no such key")); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown hash: %v, want ErrNotFound", err)
	}
}
