-- +goose Up
-- Every tenant table carries workspace_id and leads every key and index with it,
-- so that tenants stay apart and the data can later be distributed by workspace.

CREATE TABLE workspaces (
    id         text PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- api_keys is looked up by hash before the workspace is known: the hash index is
-- the one global entry point, and it is what determines the tenant.
CREATE TABLE api_keys (
    workspace_id text NOT NULL REFERENCES workspaces(id),
    id           text NOT NULL,
    name         text NOT NULL,
    prefix       text NOT NULL,
    hash         bytea NOT NULL,
    livemode     boolean NOT NULL,
    tier         text NOT NULL CHECK (tier IN ('standard', 'paid', 'unlimited')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
CREATE INDEX api_keys_prefix ON api_keys (prefix);

-- One row per (workspace, object type): the locked row that hands out display ids
-- and strictly increasing created_at values inside the inserting transaction.
CREATE TABLE counters (
    workspace_id    text NOT NULL REFERENCES workspaces(id),
    kind            text NOT NULL,
    last_display_id bigint NOT NULL,
    last_created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, kind)
);

CREATE TABLE customers (
    workspace_id        text NOT NULL REFERENCES workspaces(id),
    id                  text NOT NULL,
    display_id          bigint NOT NULL,
    name                text NOT NULL,
    slug                text NOT NULL,
    domain              text,
    status              text NOT NULL,
    plan                text,
    mrr                 bigint,
    monthly_orders      bigint,
    hubspot_company_id  text,
    hubspot_deal_id     text,
    stripe_customer_id  text,
    intercom_company_id text,
    slack_channel_id    text,
    -- json, not jsonb: metadata comes back exactly as it was stored (key order too).
    metadata            json NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    deleted_at          timestamptz,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, display_id),
    UNIQUE (workspace_id, created_at)
);
CREATE UNIQUE INDEX customers_slug ON customers (workspace_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX customers_list ON customers (workspace_id, created_at DESC) WHERE deleted_at IS NULL;

CREATE TABLE contacts (
    workspace_id text NOT NULL REFERENCES workspaces(id),
    id           text NOT NULL,
    display_id   bigint NOT NULL,
    customer_id  text NOT NULL,
    name         text NOT NULL,
    email        text NOT NULL,
    title        text,
    is_primary   boolean NOT NULL DEFAULT false,
    labels       text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    deleted_at   timestamptz,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, display_id),
    UNIQUE (workspace_id, created_at),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES customers (workspace_id, id)
);
CREATE UNIQUE INDEX contacts_email ON contacts (workspace_id, customer_id, email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX contacts_primary ON contacts (workspace_id, customer_id) WHERE is_primary AND deleted_at IS NULL;
CREATE INDEX contacts_by_customer ON contacts (workspace_id, customer_id, created_at DESC) WHERE deleted_at IS NULL;

CREATE TABLE onboardings (
    workspace_id            text NOT NULL REFERENCES workspaces(id),
    id                      text NOT NULL,
    display_id              bigint NOT NULL,
    customer_id             text NOT NULL,
    name                    text NOT NULL,
    template_id             text,
    phase                   text NOT NULL,
    state                   text NOT NULL,
    waiting_on_customer     boolean NOT NULL DEFAULT false,
    started_at              timestamptz NOT NULL,
    completed_at            timestamptz,
    target_launch_date      timestamptz,
    csm_id                  text,
    se_id                   text,
    designer_id             text,
    product_ops_id          text,
    notes                   text,
    reminders_enabled       boolean NOT NULL DEFAULT true,
    reminder_frequency_days integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    deleted_at              timestamptz,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, display_id),
    UNIQUE (workspace_id, created_at),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES customers (workspace_id, id)
);
CREATE INDEX onboardings_list ON onboardings (workspace_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX onboardings_by_customer ON onboardings (workspace_id, customer_id, created_at DESC) WHERE deleted_at IS NULL;

CREATE TABLE phase_transitions (
    workspace_id  text NOT NULL REFERENCES workspaces(id),
    id            text NOT NULL,
    onboarding_id text NOT NULL,
    from_phase    text,
    to_phase      text NOT NULL,
    actor         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, onboarding_id) REFERENCES onboardings (workspace_id, id)
);
CREATE INDEX phase_transitions_by_onboarding ON phase_transitions (workspace_id, onboarding_id, created_at DESC);

-- The audit trail: every mutation, attributed to the calling key.
CREATE TABLE audit_events (
    workspace_id text NOT NULL REFERENCES workspaces(id),
    id           bigserial,
    actor        text NOT NULL,
    action       text NOT NULL,
    object_type  text NOT NULL,
    object_id    text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (workspace_id, id)
);

-- +goose Down
DROP TABLE audit_events, phase_transitions, onboardings, contacts, customers, counters, api_keys, workspaces;
