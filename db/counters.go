package db

import (
	"context"
	"time"
)

// Object kinds numbered by the counters table.
const (
	KindCustomer   = "customer"
	KindContact    = "contact"
	KindOnboarding = "onboarding"
)

// nextStamp hands out the next display id and a created_at strictly later than
// every earlier one of the same workspace and kind. The counter row stays locked
// until the inserting transaction ends, so stamps also follow commit order: a
// newest-first walk by created_at can never skip or repeat a row.
func nextStamp(ctx context.Context, q Queryer, workspaceID, kind string) (displayID int64, createdAt time.Time, err error) {
	row := q.QueryRowxContext(ctx, `
		INSERT INTO counters AS c (workspace_id, kind, last_display_id, last_created_at)
		VALUES ($1, $2, 1, date_trunc('microseconds', clock_timestamp()))
		ON CONFLICT (workspace_id, kind) DO UPDATE SET
			last_display_id = c.last_display_id + 1,
			last_created_at = greatest(date_trunc('microseconds', clock_timestamp()), c.last_created_at + interval '1 microsecond')
		RETURNING last_display_id, last_created_at`, workspaceID, kind)
	err = row.Scan(&displayID, &createdAt)
	return displayID, createdAt, classify(err)
}
