package db

import (
	"context"
	"time"
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
