package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Customer is a row of customers.
type Customer struct {
	WorkspaceID       string     `db:"workspace_id"`
	ID                string     `db:"id"`
	DisplayID         int64      `db:"display_id"`
	Name              string     `db:"name"`
	Slug              string     `db:"slug"`
	Domain            *string    `db:"domain"`
	Status            string     `db:"status"`
	Plan              *string    `db:"plan"`
	MRR               *int64     `db:"mrr"`
	MonthlyOrders     *int64     `db:"monthly_orders"`
	HubspotCompanyID  *string    `db:"hubspot_company_id"`
	HubspotDealID     *string    `db:"hubspot_deal_id"`
	StripeCustomerID  *string    `db:"stripe_customer_id"`
	IntercomCompanyID *string    `db:"intercom_company_id"`
	SlackChannelID    *string    `db:"slack_channel_id"`
	Metadata          []byte     `db:"metadata"`
	CreatedAt         time.Time  `db:"created_at"`
	UpdatedAt         time.Time  `db:"updated_at"`
	DeletedAt         *time.Time `db:"deleted_at"`
}

const customerColumns = `workspace_id, id, display_id, name, slug, domain, status, plan, mrr, monthly_orders,
	hubspot_company_id, hubspot_deal_id, stripe_customer_id, intercom_company_id, slack_channel_id,
	metadata, created_at, updated_at, deleted_at`

// Ref names an object by cuid or by display id (when DisplayID > 0).
type Ref struct {
	ID        string
	DisplayID int64
}

// where returns the SQL condition for r on placeholder $n and its argument.
func (r Ref) where(n int) (string, any) {
	if r.DisplayID > 0 {
		return fmt.Sprintf("display_id = $%d", n), r.DisplayID
	}
	return fmt.Sprintf("id = $%d", n), r.ID
}

// Page bounds a newest-first list: rows created strictly before Before (when
// set), at most Limit+1 of them so that the caller knows whether more exist.
type Page struct {
	Before *time.Time
	Limit  int
}

// CustomerFilter selects customers for FindCustomers.
type CustomerFilter struct {
	Status *string
	Slug   *string
	Page
}

// FindCustomer returns the customer r names, or ErrNotFound. Deleted customers
// are found only when withDeleted is true; forUpdate locks the row.
func FindCustomer(ctx context.Context, q Queryer, workspaceID string, r Ref, withDeleted, forUpdate bool) (*Customer, error) {
	cond, arg := r.where(2)
	query := `SELECT ` + customerColumns + ` FROM customers WHERE workspace_id = $1 AND ` + cond
	if !withDeleted {
		query += ` AND deleted_at IS NULL`
	}
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var c Customer
	// Prepared outside a transaction (a few shapes): every list of a
	// customer's contacts or onboardings reads the customer first, and
	// planning the lookup cost more than running it.
	if s, err := prepared(ctx, q, query); err != nil {
		return nil, err
	} else if s != nil {
		return &c, classify(s.GetContext(ctx, &c, workspaceID, arg))
	}
	err := q.GetContext(ctx, &c, query, workspaceID, arg)
	return &c, classify(err)
}

// FindCustomers lists the workspace's customers, newest first.
func FindCustomers(ctx context.Context, q Queryer, workspaceID string, f CustomerFilter) ([]Customer, error) {
	var b where
	b.add("workspace_id = ?", workspaceID)
	b.add("deleted_at IS NULL")
	if f.Status != nil {
		b.add("status = ?", *f.Status)
	}
	if f.Slug != nil {
		b.add("slug = ?", *f.Slug)
	}
	if f.Before != nil {
		b.add("created_at < ?", *f.Before)
	}
	cs := make([]Customer, 0, f.Limit+1)
	err := q.SelectContext(ctx, &cs, `SELECT `+customerColumns+` FROM customers WHERE `+b.sql()+
		fmt.Sprintf(` ORDER BY created_at DESC LIMIT %d`, f.Limit+1), b.args...)
	return cs, classify(err)
}

// FindCustomersByID returns the non-deleted customers among ids, in no order.
func FindCustomersByID(ctx context.Context, q Queryer, workspaceID string, ids []string) ([]Customer, error) {
	var cs []Customer
	err := q.SelectContext(ctx, &cs, `SELECT `+customerColumns+` FROM customers
		WHERE workspace_id = $1 AND id = ANY($2) AND deleted_at IS NULL`, workspaceID, pq.Array(ids))
	return cs, classify(err)
}

// TakenSlugs returns the workspace's non-deleted slugs that start with prefix.
func TakenSlugs(ctx context.Context, q Queryer, workspaceID, prefix string) ([]string, error) {
	var s []string
	err := q.SelectContext(ctx, &s, `SELECT slug FROM customers
		WHERE workspace_id = $1 AND deleted_at IS NULL AND left(slug, length($2)) = $2`, workspaceID, prefix)
	return s, classify(err)
}

// LockSlugs serializes slug derivation within a workspace until the
// transaction ends.
func LockSlugs(ctx context.Context, q Queryer, workspaceID string) error {
	_, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('slugs:' || $1, 0))`, workspaceID)
	return classify(err)
}

// InsertCustomer stores c, filling ID, DisplayID, CreatedAt and UpdatedAt.
func InsertCustomer(ctx context.Context, q Queryer, c *Customer) error {
	var err error
	c.ID = NewID()
	if c.DisplayID, c.CreatedAt, err = nextStamp(ctx, q, c.WorkspaceID, KindCustomer); err != nil {
		return err
	}
	c.UpdatedAt = c.CreatedAt
	if c.Metadata == nil {
		c.Metadata = []byte("{}")
	}
	_, err = sqlxNamedExec(ctx, q, `INSERT INTO customers (`+customerColumns+`) VALUES (
		:workspace_id, :id, :display_id, :name, :slug, :domain, :status, :plan, :mrr, :monthly_orders,
		:hubspot_company_id, :hubspot_deal_id, :stripe_customer_id, :intercom_company_id, :slack_channel_id,
		:metadata, :created_at, :updated_at, :deleted_at)`, c)
	return classify(err)
}

// UpdateCustomer writes every writable column of c and sets UpdatedAt.
func UpdateCustomer(ctx context.Context, q Queryer, c *Customer) error {
	err := q.GetContext(ctx, &c.UpdatedAt, `UPDATE customers SET
		name = $3, slug = $4, domain = $5, status = $6, plan = $7, mrr = $8, monthly_orders = $9,
		hubspot_company_id = $10, hubspot_deal_id = $11, stripe_customer_id = $12,
		intercom_company_id = $13, slack_channel_id = $14, metadata = $15,
		updated_at = greatest(date_trunc('microseconds', clock_timestamp()), updated_at + interval '1 microsecond')
		WHERE workspace_id = $1 AND id = $2 RETURNING updated_at`,
		c.WorkspaceID, c.ID, c.Name, c.Slug, c.Domain, c.Status, c.Plan, c.MRR, c.MonthlyOrders,
		c.HubspotCompanyID, c.HubspotDealID, c.StripeCustomerID, c.IntercomCompanyID, c.SlackChannelID, c.Metadata)
	return classify(err)
}

// SoftDelete marks the row of table deleted (if it is not already) and returns
// its deletion time.
func SoftDelete(ctx context.Context, q Queryer, table, workspaceID, id string) (time.Time, error) {
	switch table {
	case "customers", "contacts", "onboardings":
	default:
		panic("db: SoftDelete on " + table)
	}
	var t time.Time
	err := q.GetContext(ctx, &t, `UPDATE `+table+` SET deleted_at = coalesce(deleted_at, clock_timestamp())
		WHERE workspace_id = $1 AND id = $2 RETURNING deleted_at`, workspaceID, id)
	return t, classify(err)
}
