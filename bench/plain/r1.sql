-- R1's rows as plain statements (bench/run.sh replays this with pgbench -M prepared):
-- the key by its hash, then one page of customers, every column, no JSON.
-- :hash, :ws are set with pgbench -D.
SELECT workspace_id, id, tier, revoked_at, last_used_at FROM api_keys WHERE hash = :hash;
SELECT id, display_id, name, slug, domain, status, plan, mrr, monthly_orders, hubspot_company_id, hubspot_deal_id,
	stripe_customer_id, intercom_company_id, slack_channel_id, metadata, created_at, updated_at
FROM customers WHERE workspace_id = :ws AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 101;
