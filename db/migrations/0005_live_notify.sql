-- +goose Up
-- Live subscriptions (GraphQL over WebSocket) on every instance learn of new
-- events and of revoked keys through NOTIFY, which PostgreSQL delivers at
-- commit: a rolled-back write notifies nobody. The outbox code is unchanged.

-- One notification per (workspace, mode) of an INSERT statement on events,
-- carrying the seqs it wrote: '<workspace_id> <t|f> <seq>,<seq>,…'. A listener
-- reads exactly those rows, so it never depends on seqs committing in order.
-- Large statements are split so that a payload stays far below 8000 bytes.
-- +goose StatementBegin
CREATE FUNCTION live_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT workspace_id, livemode, string_agg(seq::text, ',' ORDER BY seq) AS seqs
        FROM (SELECT workspace_id, livemode, seq,
                     (row_number() OVER (PARTITION BY workspace_id, livemode ORDER BY seq) - 1) / 200 AS chunk
              FROM new_events) s
        GROUP BY workspace_id, livemode, chunk
        ORDER BY min(seq)
    LOOP
        PERFORM pg_notify('pivotal_events',
            r.workspace_id || ' ' || CASE WHEN r.livemode THEN 't' ELSE 'f' END || ' ' || r.seqs);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_live_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION live_events_notify();

-- A revoked key's live connections close within seconds on every instance:
-- '<key id>'.
-- +goose StatementBegin
CREATE FUNCTION live_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pivotal_keys', NEW.id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER api_keys_live_notify AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION live_keys_notify();

-- Catching up after a lost LISTEN connection reads a workspace's events by
-- seq (events_feed leads with workspace_id and livemode: it serves that too).

-- +goose Down
DROP TRIGGER api_keys_live_notify ON api_keys;
DROP FUNCTION live_keys_notify();
DROP TRIGGER events_live_notify ON events;
DROP FUNCTION live_events_notify();
