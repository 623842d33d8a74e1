package webhooks

import (
	"context"
	"log/slog"
	"time"

	"pivotal/db"
)

// Retention of the contract: events 30 days, messages and their attempts 90.
const (
	EventRetention   = 30 * 24 * time.Hour
	MessageRetention = 90 * 24 * time.Hour
	retentionBatch   = 1000
)

// Expire deletes events and messages past their retention, in batches so that
// no statement holds many locks, and reports how many of each it deleted.
func Expire(ctx context.Context, store *db.DB, now time.Time) (events, messages int64, err error) {
	for _, job := range []struct {
		table string
		keep  time.Duration
		n     *int64
	}{{"events", EventRetention, &events}, {"webhook_messages", MessageRetention, &messages}} {
		for {
			n, err := db.DeleteExpired(ctx, store, job.table, now.Add(-job.keep), retentionBatch)
			if err != nil {
				return events, messages, err
			}
			*job.n += n
			if n < retentionBatch {
				break
			}
		}
	}
	return events, messages, nil
}

// RunRetention runs Expire now and then every interval until ctx ends.
func RunRetention(ctx context.Context, store *db.DB, log *slog.Logger, every time.Duration) {
	for {
		ev, msgs, err := Expire(ctx, store, time.Now())
		if err != nil && ctx.Err() == nil {
			log.Warn("webhooks: retention", "err", err.Error())
		} else if ev+msgs > 0 {
			log.Info("webhooks: retention", "events_deleted", ev, "messages_deleted", msgs)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
