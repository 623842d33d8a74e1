-- Q2's rows as plain statements (bench/run.sh replays this with pgbench -M prepared):
-- the key, the customers page, then the first 10 (+1 for hasNextPage) contacts
-- and onboardings of all 100 customers, each level in one statement (LATERAL
-- over the array of the page's ids, :ids). Only the columns Q2 asks for; no JSON.
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
