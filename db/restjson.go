package db

import (
	"context"
	"fmt"
)

// The REST list of customers is rendered by PostgreSQL: one statement returns
// the whole envelope, byte for byte as rest's encoder would print it, so the
// server passes the page through instead of decoding 100 rows of 19 columns
// and encoding them again. The Go rendering (rest.customerOut) stays the
// reference: a test compares the two on the same rows.

// restCustomer selects the REST customer object of row t: its columns named
// and ordered as rest.customerJSON, for row_to_json (which PostgreSQL builds in
// C, compact, escaping as encoding/json does but for U+2028 and U+2029).
var restCustomer = `SELECT 'customer' AS object, t.id, t.display_id, t.name, t.slug, t.domain, t.status, t.plan,
	t.mrr, t.monthly_orders, t.hubspot_company_id, t.hubspot_deal_id, t.stripe_customer_id,
	t.intercom_company_id, t.slack_channel_id, t.metadata, ` + tsExpr("t.created_at") + ` AS created_at, ` +
	tsExpr("t.updated_at") + ` AS updated_at`

// CustomersListJSON renders a page of FindCustomers as the REST list envelope
// ({"object":"list","data":[…],"has_more":…,"next_cursor":…} and a newline).
func CustomersListJSON(ctx context.Context, q Queryer, workspaceID string, f CustomerFilter) ([]byte, error) {
	var b where
	b.add("t.workspace_id = ?", workspaceID)
	b.add("t.deleted_at IS NULL")
	if f.Status != nil {
		b.add("t.status = ?", *f.Status)
	}
	if f.Slug != nil {
		b.add("t.slug = ?", *f.Slug)
	}
	if f.Before != nil {
		b.add("t.created_at < ?", *f.Before)
	}
	limit := fmt.Sprint(f.Limit)
	var out []byte
	err := q.QueryRowxContext(ctx, `
		SELECT '{"object":"list","data":[' || coalesce(string_agg(x.obj, ',' ORDER BY x.created_at DESC) FILTER (WHERE x.rn <= `+limit+`), '')
			|| '],"has_more":' || (count(*) > `+limit+`)::text
			|| ',"next_cursor":' || CASE WHEN count(*) > `+limit+`
				THEN '"' || `+tsExpr("min(x.created_at) FILTER (WHERE x.rn <= "+limit+")")+` || '"' ELSE 'null' END
			|| '}' || chr(10)
		FROM (SELECT (SELECT row_to_json(r)::text FROM (`+restCustomer+`) r) AS obj, t.created_at,
				row_number() OVER (ORDER BY t.created_at DESC) AS rn
			FROM customers t WHERE `+b.sql()+` ORDER BY t.created_at DESC LIMIT `+fmt.Sprint(f.Limit+1)+`) x`,
		b.args...).Scan(&out)
	return out, classify(err)
}

// tsExpr prints a timestamp as 2026-05-26T17:21:09.412000Z (NULL stays NULL).
func tsExpr(col string) string {
	return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"')`
}
