-- +goose Up
-- Idempotency keys (spec §5). One row per (workspace, method, path, key). A
-- request claims its key by inserting the row in_progress with a lease; the
-- write's own transaction replaces the claim with the stored response
-- (completed), so a write and its stored response commit together or not at
-- all. GraphQL marks the claim executed inside each mutation's transaction and
-- stores the whole response right after (see resolvers/idempotency.go).
CREATE TABLE idempotency_keys (
    workspace_id text NOT NULL REFERENCES workspaces(id),
    method       text NOT NULL,
    path         text NOT NULL,
    -- Keys are opaque bytes (spec §5), so not text: any header byte is accepted.
    key          bytea NOT NULL,
    request_hash bytea NOT NULL,
    state        text NOT NULL CHECK (state IN ('in_progress', 'executed', 'completed')),
    -- token identifies the claim holder; a takeover of an expired lease changes it,
    -- so the old holder's write can no longer store (and so rolls back).
    token        text NOT NULL,
    lease_until  timestamptz NOT NULL,
    status       integer,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, method, path, key)
);
-- Expiry runs across workspaces in small batches: like api_keys_hash, this is a
-- deliberate global entry point (a sharded deployment runs it per shard).
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
