package db

import "context"

// InsertAudit records who did what to which object, inside the mutation's transaction.
func InsertAudit(ctx context.Context, q Queryer, workspaceID, actor, action, objectType, objectID string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO audit_events (workspace_id, actor, action, object_type, object_id)
		VALUES ($1, $2, $3, $4, $5)`, workspaceID, actor, action, objectType, objectID)
	return classify(err)
}
