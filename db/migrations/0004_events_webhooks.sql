-- +goose Up
-- Events and webhooks. An event is written in the transaction of the change
-- that causes it (a transactional outbox), together with one webhook message
-- per matching endpoint, in a single statement (db/events.go).

-- payload is the envelope exactly as it is signed and sent, written once.
-- seq orders the feed and gives listeners (LISTEN/NOTIFY fan-out) a compact
-- handle; id is the public name, unique across workspaces so that an event can
-- be looked up by id alone (a deliberate global entry point, like api_keys_id).
-- No foreign key to workspaces: events are only written by the statement that
-- writes the change's audit entries, whose key already checks the workspace,
-- and a second check per event is a cost every write would pay.
CREATE TABLE events (
    workspace_id text NOT NULL,
    id           text NOT NULL,
    seq          bigserial,
    type         text NOT NULL,
    livemode     boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    payload      bytea NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_feed ON events (workspace_id, livemode, seq DESC);
-- Retention runs across workspaces (like idempotency_keys_expiry). Rows arrive
-- in created_at order, so a BRIN index finds old ones for almost no upkeep.
CREATE INDEX events_expiry ON events USING brin (created_at);

CREATE TABLE webhook_endpoints (
    workspace_id         text NOT NULL REFERENCES workspaces(id),
    id                   text NOT NULL,
    url                  text NOT NULL,
    description          text NOT NULL DEFAULT '',
    event_types          text[] NOT NULL DEFAULT '{}',
    test_mode            boolean NOT NULL,
    disabled             boolean NOT NULL DEFAULT false,
    -- The secret signs; it is shown to the caller once and never logged.
    secret               text NOT NULL,
    -- After a rotation the previous secret signs too until it expires.
    previous_secret      text,
    previous_expires_at  timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX webhook_endpoints_id ON webhook_endpoints (id);

-- One message per (event, endpoint). A pending message is due at
-- next_attempt_at; a claim moves next_attempt_at past the delivery timeout (the
-- lease), so a message whose claimer died becomes due again by itself.
-- lease_token names the current claim: only its holder records the outcome.
CREATE TABLE webhook_messages (
    workspace_id     text NOT NULL,
    id               text NOT NULL,
    endpoint_id      text NOT NULL,
    event_id         text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    first_attempt_at timestamptz,
    lease_token      text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);
-- The dispatcher's queue: due pending messages across workspaces.
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_by_endpoint ON webhook_messages (workspace_id, endpoint_id, created_at DESC);
CREATE INDEX webhook_messages_expiry ON webhook_messages USING brin (created_at);

CREATE TABLE webhook_attempts (
    workspace_id  text NOT NULL,
    id            bigserial,
    message_id    text NOT NULL,
    endpoint_id   text NOT NULL,
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    duration_ms   double precision NOT NULL,
    response      text,
    error         text,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, message_id) REFERENCES webhook_messages (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_by_message ON webhook_attempts (workspace_id, message_id, id);

-- +goose Down
DROP TABLE webhook_attempts, webhook_messages, webhook_endpoints, events;
