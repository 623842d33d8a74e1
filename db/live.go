package db

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// The channels that migration 0006's triggers notify at commit.
const (
	// EventsChannel carries '<workspace_id> <t|f> <seq>,<seq>,…' per INSERT
	// statement on events (and per workspace and mode).
	EventsChannel = "pivotal_events"
	// KeysChannel carries the id of a key just revoked.
	KeysChannel = "pivotal_keys"
)

// EventRef names a committed event as its notification does.
type EventRef struct {
	WorkspaceID string
	Livemode    bool
	Seq         int64
}

// ParseEventsNotification reads an EventsChannel payload.
func ParseEventsNotification(payload string) ([]EventRef, error) {
	parts := strings.SplitN(payload, " ", 3)
	if len(parts) != 3 || parts[0] == "" || (parts[1] != "t" && parts[1] != "f") {
		return nil, errors.New("live: malformed events notification")
	}
	seqs := strings.Split(parts[2], ",")
	refs := make([]EventRef, 0, len(seqs))
	for _, s := range seqs {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return nil, errors.New("live: malformed events notification")
		}
		refs = append(refs, EventRef{WorkspaceID: parts[0], Livemode: parts[1] == "t", Seq: n})
	}
	return refs, nil
}

// FindEventsByRef reads the events refs name, in seq order: one statement for
// any number of them (events_feed serves each (workspace, mode, seq)).
func FindEventsByRef(ctx context.Context, q Queryer, refs []EventRef) ([]Event, error) {
	ws := make([]string, len(refs))
	live := make([]bool, len(refs))
	seqs := make([]int64, len(refs))
	for i, r := range refs {
		ws[i], live[i], seqs[i] = r.WorkspaceID, r.Livemode, r.Seq
	}
	var evs []Event
	err := q.SelectContext(ctx, &evs, `SELECT e.workspace_id, e.id, e.seq, e.type, e.livemode, e.created_at, e.payload
		FROM unnest($1::text[], $2::boolean[], $3::bigint[]) AS r(workspace_id, livemode, seq)
		JOIN events e ON e.workspace_id = r.workspace_id AND e.livemode = r.livemode AND e.seq = r.seq
		ORDER BY e.seq`, pq.Array(ws), pq.Array(live), pq.Array(seqs))
	return evs, classify(err)
}

// Feed is one workspace's events in one mode.
type Feed struct {
	WorkspaceID string
	Livemode    bool
}

// FindEventsSince reads the events of feeds with seq > since, in seq order, at
// most limit per feed (a listener catching up after a lost connection).
func FindEventsSince(ctx context.Context, q Queryer, feeds []Feed, since int64, limit int) ([]Event, error) {
	ws := make([]string, len(feeds))
	live := make([]bool, len(feeds))
	for i, f := range feeds {
		ws[i], live[i] = f.WorkspaceID, f.Livemode
	}
	var evs []Event
	err := q.SelectContext(ctx, &evs, `SELECT e.workspace_id, e.id, e.seq, e.type, e.livemode, e.created_at, e.payload
		FROM unnest($1::text[], $2::boolean[]) AS f(workspace_id, livemode)
		CROSS JOIN LATERAL (SELECT * FROM events
			WHERE workspace_id = f.workspace_id AND livemode = f.livemode AND seq > $3
			ORDER BY seq LIMIT $4) e
		ORDER BY e.seq`, pq.Array(ws), pq.Array(live), since, limit)
	return evs, classify(err)
}

// LatestEventSeq is the highest seq taken so far (0: none), where a listener
// starts. It reads the sequence, not the table.
func LatestEventSeq(ctx context.Context, q Queryer) (int64, error) {
	var n int64
	err := q.GetContext(ctx, &n, `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_seq_seq`)
	return n, classify(err)
}

// RevokedKeys returns those of ids that are revoked (or gone).
func RevokedKeys(ctx context.Context, q Queryer, ids []string) ([]string, error) {
	var live []string
	if err := q.SelectContext(ctx, &live, `SELECT id FROM api_keys WHERE id = ANY($1) AND revoked_at IS NULL`,
		pq.Array(ids)); err != nil {
		return nil, classify(err)
	}
	ok := make(map[string]bool, len(live))
	for _, id := range live {
		ok[id] = true
	}
	var gone []string
	for _, id := range ids {
		if !ok[id] {
			gone = append(gone, id)
		}
	}
	return gone, nil
}

// ListenerDSN is dsn for a listening connection named name
// (pg_stat_activity.application_name), so operators can tell it apart.
func ListenerDSN(dsn, name string) (string, error) {
	return withParam(dsn, "application_name", name)
}
