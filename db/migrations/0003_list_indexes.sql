-- +goose Up
-- List indexes: every documented list filter reads exactly the rows of its
-- page, newest first, however few rows match. Without them a sparse filter
-- (GET /customers?status=churned with 0.1 % churned) walks the list index and
-- filters row by row, or scans the table: its cost grows with the workspace.
-- Each matches the list statements' WHERE (workspace, filter, not deleted)
-- and ORDER BY created_at DESC, and the cursor's created_at < $n bound.
-- slug has its unique index (customers_slug) and customer_id its per-customer
-- index (onboardings_by_customer) since 0001.
CREATE INDEX customers_by_status ON customers (workspace_id, status, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX onboardings_by_state ON onboardings (workspace_id, state, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX onboardings_by_phase ON onboardings (workspace_id, phase, created_at DESC) WHERE deleted_at IS NULL;
-- state=waiting selects waiting_on_customer (the two go together).
CREATE INDEX onboardings_waiting ON onboardings (workspace_id, created_at DESC) WHERE waiting_on_customer AND deleted_at IS NULL;

-- +goose Down
DROP INDEX onboardings_waiting, onboardings_by_phase, onboardings_by_state, customers_by_status;
