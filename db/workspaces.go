package db

import (
	"context"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Workspace is a tenant.
type Workspace struct {
	ID        string    `db:"id"`
	Slug      string    `db:"slug"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// EnsureWorkspace returns the workspace with slug, creating it (named name) if absent.
func EnsureWorkspace(ctx context.Context, q Queryer, slug, name string) (*Workspace, error) {
	var w Workspace
	err := q.GetContext(ctx, &w, `
		WITH ins AS (
			INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3)
			ON CONFLICT (slug) DO NOTHING
			RETURNING id, slug, name, created_at)
		SELECT * FROM ins
		UNION ALL
		SELECT id, slug, name, created_at FROM workspaces WHERE slug = $2
		LIMIT 1`, NewID(), slug, name)
	return &w, classify(err)
}

// FindWorkspaceBySlug returns ErrNotFound when no workspace has slug.
func FindWorkspaceBySlug(ctx context.Context, q Queryer, slug string) (*Workspace, error) {
	var w Workspace
	err := q.GetContext(ctx, &w, `SELECT id, slug, name, created_at FROM workspaces WHERE slug = $1`, slug)
	return &w, classify(err)
}

// Workspaces are insert-only: nothing in pivotal updates or deletes one (the
// CLI creates them; no route renames them). So a workspace's slug and name,
// once read, hold for as long as the process runs, and each store keeps them
// by id in a small bounded cache: authentication reads only the key's row
// (FindKeyByHash). A feature that renamed or deleted workspaces would have to
// drop this cache in every server process.

// workspaceCacheSize bounds the workspaces a store keeps (an entry is an id,
// a slug and a name: well under a kilobyte). Past it, the least recently used
// are read again on their next request, one statement each.
const workspaceCacheSize = 4096

// wsNames are a workspace's names, which never change.
type wsNames struct {
	Slug string `db:"slug"`
	Name string `db:"name"`
}

func newWorkspaceCache() *lru.Cache[string, wsNames] {
	c, _ := lru.New[string, wsNames](workspaceCacheSize) // errs only on a size ≤ 0
	return c
}

// workspaceNames returns the slug and name of workspace id: from the store's
// cache, or read (and cached) on a miss. Outside a pool (a transaction) it
// reads them.
func workspaceNames(ctx context.Context, q Queryer, id string) (wsNames, error) {
	var cache *lru.Cache[string, wsNames]
	if store, ok := q.(*DB); ok {
		cache = store.workspaces
		if w, ok := cache.Get(id); ok {
			return w, nil
		}
	}
	var w wsNames
	if err := q.GetContext(ctx, &w, `SELECT slug, name FROM workspaces WHERE id = $1`, id); err != nil {
		return w, classify(err)
	}
	if cache != nil {
		cache.Add(id, w)
	}
	return w, nil
}
