package db

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// APIKey is a stored key: only its hash, never the secret.
type APIKey struct {
	WorkspaceID string     `db:"workspace_id"`
	ID          string     `db:"id"`
	Name        string     `db:"name"`
	Prefix      string     `db:"prefix"`
	Hash        []byte     `db:"hash"`
	Livemode    bool       `db:"livemode"`
	Tier        string     `db:"tier"`
	CreatedAt   time.Time  `db:"created_at"`
	LastUsedAt  *time.Time `db:"last_used_at"`
	RevokedAt   *time.Time `db:"revoked_at"`
}

// KeyIdentity is what authentication needs of a key: the key's own fields
// (read from its row at every request, so a revocation counts at once) and its
// workspace's slug and name (from the store's workspace cache).
type KeyIdentity struct {
	WorkspaceID, ID, Name, Prefix, Tier string
	Livemode                            bool
	RevokedAt                           *time.Time
	// Stale is true when last_used_at is more than a minute old.
	Stale bool

	WorkspaceSlug, WorkspaceName string
}

const apiKeyColumns = `k.workspace_id, k.id, k.name, k.prefix, k.hash, k.livemode, k.tier, k.created_at, k.last_used_at, k.revoked_at`

// FindKeyByHash is the one query authentication runs per request: the key's
// row alone, by its unique hash. The workspace's slug and name come from the
// store's cache of workspaces (workspaces.go); the first key of a workspace
// seen by a store costs one more statement, once.
func FindKeyByHash(ctx context.Context, q Queryer, hash []byte) (*KeyIdentity, error) {
	var k KeyIdentity
	// Prepared once per connection: every request runs it, and PostgreSQL
	// planned the unprepared statement at each (about 0.07 ms, more than
	// running it).
	// Scanned field by field: sqlx's mapping by reflection cost as much Go
	// time as the read itself.
	var row interface{ Scan(...any) error }
	if s, err := prepared(ctx, q, findKeyByHash); err != nil {
		return nil, err
	} else if s != nil {
		row = s.QueryRowContext(ctx, hash)
	} else {
		row = q.QueryRowxContext(ctx, findKeyByHash, hash)
	}
	if err := row.Scan(&k.WorkspaceID, &k.ID, &k.Name, &k.Prefix, &k.Livemode, &k.Tier, &k.RevokedAt, &k.Stale); err != nil {
		return nil, classify(err)
	}
	w, err := workspaceNames(ctx, q, k.WorkspaceID)
	if err != nil {
		return nil, err
	}
	k.WorkspaceSlug, k.WorkspaceName = w.Slug, w.Name
	return &k, nil
}

// findKeyByHash reads one row of api_keys through its unique hash index; it
// used to join workspaces for the slug and name, which cost PostgreSQL as much
// again as the key's own row (bench/README.md).
const findKeyByHash = `
		SELECT workspace_id, id, name, prefix, livemode, tier, revoked_at,
			(last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
		FROM api_keys WHERE hash = $1`

// TouchKey records use of a key, at most once a minute.
func TouchKey(ctx context.Context, q Queryer, workspaceID, id string) error {
	_, err := q.ExecContext(ctx, `
		UPDATE api_keys SET last_used_at = now()
		WHERE workspace_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
		workspaceID, id)
	return classify(err)
}

// CreateKey stores k (ID and CreatedAt are filled in).
func CreateKey(ctx context.Context, q Queryer, k *APIKey) error {
	k.ID = NewID()
	err := q.GetContext(ctx, &k.CreatedAt, `
		INSERT INTO api_keys (workspace_id, id, name, prefix, hash, livemode, tier)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
		k.WorkspaceID, k.ID, k.Name, k.Prefix, k.Hash, k.Livemode, k.Tier)
	return classify(err)
}

// ErrKeyLimit is CreateKeyCapped's refusal: the workspace has its most keys.
var ErrKeyLimit = errors.New("db: the workspace has its most active API keys")

// CreateKeyCapped stores k (as CreateKey) unless k's workspace already has
// limit active (unrevoked) keys; then it returns ErrKeyLimit. The workspace's
// row is locked before the count, so creations running at once cannot pass the
// limit together (each count is a statement of its own, which under READ
// COMMITTED sees the keys committed while it waited for the lock).
func CreateKeyCapped(ctx context.Context, db *DB, k *APIKey, limit int) error {
	return db.Transact(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, k.WorkspaceID); err != nil {
			return err
		}
		var active int
		if err := tx.GetContext(ctx, &active, `SELECT count(*) FROM api_keys
			WHERE workspace_id = $1 AND revoked_at IS NULL`, k.WorkspaceID); err != nil {
			return err
		}
		if active >= limit {
			return ErrKeyLimit
		}
		return CreateKey(ctx, tx, k)
	})
}

// FindKeys lists a workspace's keys, newest first.
func FindKeys(ctx context.Context, q Queryer, workspaceID string) ([]APIKey, error) {
	var ks []APIKey
	err := q.SelectContext(ctx, &ks, `SELECT `+apiKeyColumns+` FROM api_keys k
		WHERE k.workspace_id = $1 ORDER BY k.created_at DESC, k.id`, workspaceID)
	return ks, classify(err)
}

// RevokeKey revokes the key of workspaceID (any workspace when empty) whose id,
// visible prefix or hash matches. A key already revoked keeps its first time.
// It returns ErrNotFound when no key matches and the keys matched otherwise
// (a prefix shared by two keys matches both, so callers refuse it).
func RevokeKey(ctx context.Context, q Queryer, workspaceID, idOrPrefix string, hash []byte) ([]APIKey, error) {
	var ks []APIKey
	err := q.SelectContext(ctx, &ks, `
		UPDATE api_keys k SET revoked_at = coalesce(k.revoked_at, now())
		WHERE ($1 = '' OR k.workspace_id = $1) AND (k.id = $2 OR k.prefix = $2 OR k.hash = $3)
		RETURNING `+apiKeyColumns, workspaceID, idOrPrefix, hash)
	if err == nil && len(ks) == 0 {
		err = ErrNotFound
	}
	return ks, classify(err)
}

// MatchKeys returns the keys RevokeKey would revoke, without revoking. Callers
// holding a full key pass an empty idOrPrefix and its hash, never the key.
func MatchKeys(ctx context.Context, q Queryer, workspaceID, idOrPrefix string, hash []byte) ([]APIKey, error) {
	var ks []APIKey
	err := q.SelectContext(ctx, &ks, `SELECT `+apiKeyColumns+` FROM api_keys k
		WHERE ($1 = '' OR k.workspace_id = $1) AND (k.id = $2 OR k.prefix = $2 OR k.hash = $3)`,
		workspaceID, idOrPrefix, hash)
	return ks, classify(err)
}
