package db

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// NewEvent is an event to write: its id, type and the envelope as it is sent.
type NewEvent struct {
	ID      string
	Type    string
	Payload []byte
}

// NewPublicID returns prefix + 24 random lowercase base-36 characters, for ids
// such as evt_… and ep_….
func NewPublicID(prefix string) string {
	var rnd [24]byte
	rand.Read(rnd[:])
	b := make([]byte, 0, len(prefix)+len(rnd))
	b = append(b, prefix...)
	for _, r := range rnd {
		// r%36 is slightly biased; 24 characters still carry over 120 bits.
		b = append(b, base36[int(r)%36])
	}
	return string(b)
}

// AuditEntry is a row of the audit trail: what was done to which object.
type AuditEntry struct {
	Action, ObjectType, ObjectID string
}

// insertChanges writes a change's audit entries and its events in order, and
// one pending message per event and matching endpoint: same mode (livemode
// events to live endpoints, test events to test-mode endpoints), not
// disabled, subscribed to the type. It is ONE statement: the events ride on
// the audit trail's insert, so the outbox costs a write no round trip.
const insertChanges = `WITH au AS (
	INSERT INTO audit_events (workspace_id, actor, action, object_type, object_id)
	SELECT $1, $2, a.action, a.object_type, a.object_id
	FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS a(action, object_type, object_id, ord)
	ORDER BY a.ord
), ev AS (
	INSERT INTO events (workspace_id, id, type, livemode, created_at, payload)
	SELECT $1, e.id, e.type, $6, $7, e.payload
	FROM unnest($8::text[], $9::text[], $10::bytea[]) WITH ORDINALITY AS e(id, type, payload, ord)
	ORDER BY e.ord
	RETURNING id, type
)
INSERT INTO webhook_messages (workspace_id, id, endpoint_id, event_id, status, next_attempt_at)
SELECT $1, 'msg_' || replace(gen_random_uuid()::text, '-', ''), w.id, ev.id, 'pending', clock_timestamp()
FROM ev JOIN webhook_endpoints w ON w.workspace_id = $1 AND w.test_mode = NOT $6 AND NOT w.disabled
	AND (cardinality(w.event_types) = 0 OR ev.type = ANY(w.event_types))`

// InsertChanges writes the audit entries and the events of one change (each
// in order) and their webhook messages, inside the change's transaction q
// (a transaction of store's).
func (store *DB) InsertChanges(ctx context.Context, q Queryer, workspaceID, actor string, audits []AuditEntry,
	livemode bool, createdAt time.Time, evs []NewEvent) error {
	if len(audits) == 0 && len(evs) == 0 {
		return nil
	}
	actions, types, objects := make([]string, len(audits)), make([]string, len(audits)), make([]string, len(audits))
	for i, a := range audits {
		actions[i], types[i], objects[i] = a.Action, a.ObjectType, a.ObjectID
	}
	ids, evTypes, payloads := make([]string, len(evs)), make([]string, len(evs)), make([][]byte, len(evs))
	for i, e := range evs {
		ids[i], evTypes[i], payloads[i] = e.ID, e.Type, e.Payload
	}
	args := []any{workspaceID, actor, pq.Array(actions), pq.Array(types), pq.Array(objects), livemode, createdAt,
		pq.Array(ids), pq.Array(evTypes), pq.ByteaArray(payloads)}
	if tx, ok := q.(*sqlx.Tx); ok && store != nil {
		// Prepared once per connection (database/sql keeps a statement's
		// preparation per connection): every write runs this statement, and
		// planning it each time costs about as much as running it.
		if s, err := prepared(ctx, store, insertChanges); err == nil && s != nil {
			_, err = tx.StmtxContext(ctx, s).ExecContext(ctx, args...)
			return classify(err)
		}
	}
	_, err := q.ExecContext(ctx, insertChanges, args...)
	return classify(err)
}

// InsertEvents writes the events of one change (in order) and their webhook
// messages, without audit entries.
func InsertEvents(ctx context.Context, q Queryer, workspaceID string, livemode bool, createdAt time.Time, evs []NewEvent) error {
	var store *DB
	return store.InsertChanges(ctx, q, workspaceID, "", nil, livemode, createdAt, evs)
}

// InsertPing writes a webhook.ping event and its one message, to endpointID
// only, and returns the message id.
func InsertPing(ctx context.Context, q Queryer, workspaceID, endpointID string, livemode bool, createdAt time.Time, e NewEvent) (string, error) {
	var msgID string
	err := q.GetContext(ctx, &msgID, `WITH ev AS (
		INSERT INTO events (workspace_id, id, type, livemode, created_at, payload)
		VALUES ($1, $3, $4, $5, $6, $7) RETURNING id
	)
	INSERT INTO webhook_messages (workspace_id, id, endpoint_id, event_id, status, next_attempt_at)
	SELECT $1, 'msg_' || replace(gen_random_uuid()::text, '-', ''), $2, ev.id, 'pending', clock_timestamp()
	FROM ev RETURNING id`, workspaceID, endpointID, e.ID, e.Type, livemode, createdAt, e.Payload)
	return msgID, classify(err)
}

// Event is a stored event.
type Event struct {
	WorkspaceID string    `db:"workspace_id"`
	ID          string    `db:"id"`
	Seq         int64     `db:"seq"`
	Type        string    `db:"type"`
	Livemode    bool      `db:"livemode"`
	CreatedAt   time.Time `db:"created_at"`
	Payload     []byte    `db:"payload"`
}

// EventFilter selects events of one workspace and mode, newest first.
type EventFilter struct {
	Livemode bool
	Types    []string
	// BeforeSeq, when > 0, keeps events older than that one.
	BeforeSeq int64
	Limit     int
}

// FindEvents lists events newest first, at most Limit+1 of them.
func FindEvents(ctx context.Context, q Queryer, workspaceID string, f EventFilter) ([]Event, error) {
	var b where
	b.add("workspace_id = ?", workspaceID)
	b.add("livemode = ?", f.Livemode)
	if len(f.Types) > 0 {
		b.add("type = ANY(?)", pq.Array(f.Types))
	}
	if f.BeforeSeq > 0 {
		b.add("seq < ?", f.BeforeSeq)
	}
	evs := make([]Event, 0, f.Limit+1)
	err := q.SelectContext(ctx, &evs, `SELECT workspace_id, id, seq, type, livemode, created_at, payload
		FROM events WHERE `+b.sql()+fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, f.Limit+1), b.args...)
	return evs, classify(err)
}

// FindEventsByID returns the workspace's events among ids, in no order.
func FindEventsByID(ctx context.Context, q Queryer, workspaceID string, ids []string) ([]Event, error) {
	var evs []Event
	err := q.SelectContext(ctx, &evs, `SELECT workspace_id, id, seq, type, livemode, created_at, payload
		FROM events WHERE workspace_id = $1 AND id = ANY($2)`, workspaceID, pq.Array(ids))
	return evs, classify(err)
}

// DeleteExpired removes up to limit rows of table created before cutoff and
// reports how many it removed. table is events or webhook_messages (whose
// attempts go with them).
func DeleteExpired(ctx context.Context, q Queryer, table string, cutoff time.Time, limit int) (int64, error) {
	switch table {
	case "events", "webhook_messages":
	default:
		panic("db: DeleteExpired on " + table)
	}
	res, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM `+table+` WHERE created_at < $1 LIMIT $2))`, cutoff, limit)
	if err != nil {
		return 0, classify(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
