-- Q3's rows as plain statements (bench/run.sh replays this with pgbench -M prepared):
-- Q2's, plus the third level: a contact's onboardings are its customer's, so
-- the first 5 (+1) onboardings of each of the page's customers, in one statement.
SELECT workspace_id, id, tier, revoked_at, last_used_at FROM api_keys WHERE hash = :hash;
SELECT id, display_id, name, slug, status, created_at
FROM customers WHERE workspace_id = :ws AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 101;
SELECT k.customer_id, k.id, k.name, k.email, k.is_primary, k.created_at
FROM unnest(:ids::text[]) AS p(id) CROSS JOIN LATERAL (
	SELECT customer_id, id, name, email, is_primary, created_at FROM contacts
	WHERE workspace_id = :ws AND customer_id = p.id AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 11) k;
SELECT o.customer_id, o.id, o.display_id, o.phase, o.state, o.target_launch_date, o.created_at
FROM unnest(:ids::text[]) AS p(id) CROSS JOIN LATERAL (
	SELECT customer_id, id, display_id, phase, state, target_launch_date, created_at FROM onboardings
	WHERE workspace_id = :ws AND customer_id = p.id AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 11) o;
SELECT o.customer_id, o.id, o.phase, o.state, o.created_at
FROM unnest(:ids::text[]) AS p(id) CROSS JOIN LATERAL (
	SELECT customer_id, id, phase, state, created_at FROM onboardings
	WHERE workspace_id = :ws AND customer_id = p.id AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 6) o;
