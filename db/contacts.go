package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Contact is a row of contacts.
type Contact struct {
	WorkspaceID string         `db:"workspace_id"`
	ID          string         `db:"id"`
	DisplayID   int64          `db:"display_id"`
	CustomerID  string         `db:"customer_id"`
	Name        string         `db:"name"`
	Email       string         `db:"email"`
	Title       *string        `db:"title"`
	IsPrimary   bool           `db:"is_primary"`
	Labels      pq.StringArray `db:"labels"`
	CreatedAt   time.Time      `db:"created_at"`
	UpdatedAt   time.Time      `db:"updated_at"`
	DeletedAt   *time.Time     `db:"deleted_at"`
}

// contactColumns are qualified with the alias k, because contact reads join
// customers to hide the children of a deleted customer.
const contactColumns = `k.workspace_id, k.id, k.display_id, k.customer_id, k.name, k.email, k.title,
	k.is_primary, k.labels, k.created_at, k.updated_at, k.deleted_at`

// Constraints whose violations callers translate (migration 0001).
const (
	// ContactsEmail makes an email unique among a customer's non-deleted contacts.
	ContactsEmail = "contacts_email"
	// ContactsPrimary allows one non-deleted primary contact per customer.
	ContactsPrimary = "contacts_primary"
)

// contactRefCond is Ref.where for the aliased contacts table.
func contactRefCond(r Ref, n int) (string, any) {
	if r.DisplayID > 0 {
		return fmt.Sprintf("k.display_id = $%d", n), r.DisplayID
	}
	return fmt.Sprintf("k.id = $%d", n), r.ID
}

// FindContact returns the contact r names, or ErrNotFound. A contact is
// visible only while its customer is not deleted; a deleted contact is found
// only when withDeleted is true. forUpdate locks the contact row (not the
// customer's).
func FindContact(ctx context.Context, q Queryer, workspaceID string, r Ref, withDeleted, forUpdate bool) (*Contact, error) {
	cond, arg := contactRefCond(r, 2)
	query := `SELECT ` + contactColumns + ` FROM contacts k
		JOIN customers c ON c.workspace_id = k.workspace_id AND c.id = k.customer_id AND c.deleted_at IS NULL
		WHERE k.workspace_id = $1 AND ` + cond
	if !withDeleted {
		query += ` AND k.deleted_at IS NULL`
	}
	if forUpdate {
		query += ` FOR UPDATE OF k`
	}
	var k Contact
	err := q.GetContext(ctx, &k, query, workspaceID, arg)
	return &k, classify(err)
}

// FindContactsByCustomer lists a customer's non-deleted contacts, newest
// first, at most p.Limit+1 of them. The caller has checked that the customer
// is visible.
func FindContactsByCustomer(ctx context.Context, q Queryer, workspaceID, customerID string, p Page) ([]Contact, error) {
	var b where
	b.add("k.workspace_id = ?", workspaceID)
	b.add("k.customer_id = ?", customerID)
	b.add("k.deleted_at IS NULL")
	if p.Before != nil {
		b.add("k.created_at < ?", *p.Before)
	}
	ks := make([]Contact, 0, p.Limit+1)
	err := q.SelectContext(ctx, &ks, `SELECT `+contactColumns+` FROM contacts k WHERE `+b.sql()+
		fmt.Sprintf(` ORDER BY k.created_at DESC LIMIT %d`, p.Limit+1), b.args...)
	return ks, classify(err)
}

// FindContactsForCustomers returns, in one statement, the newest non-deleted
// contacts of each of customerIDs created before before (when set): at most
// limit rows per customer, grouped by customer and newest first within a
// group. It serves nested connections, whose parents are already visible.
func FindContactsForCustomers(ctx context.Context, q Queryer, workspaceID string, customerIDs []string, before *time.Time, limit int) ([]Contact, error) {
	// A LATERAL subquery per parent walks contacts_by_customer from the newest
	// row and stops after limit rows, so the cost follows the page, not the
	// size of each customer's contact list.
	var ks []Contact
	err := q.SelectContext(ctx, &ks, `SELECT `+contactColumns+`
		FROM unnest($2::text[]) WITH ORDINALITY AS p(customer_id, n)
		CROSS JOIN LATERAL (
			SELECT * FROM contacts
			WHERE workspace_id = $1 AND customer_id = p.customer_id AND deleted_at IS NULL
				AND ($3::timestamptz IS NULL OR created_at < $3)
			ORDER BY created_at DESC
			LIMIT $4
		) k
		ORDER BY p.n, k.created_at DESC`, workspaceID, pq.Array(customerIDs), before, limit)
	return ks, classify(err)
}

// FindPrimaryContacts returns the non-deleted primary contacts of customerIDs,
// at most one per customer (contacts_primary), in no order.
func FindPrimaryContacts(ctx context.Context, q Queryer, workspaceID string, customerIDs []string) ([]Contact, error) {
	var ks []Contact
	err := q.SelectContext(ctx, &ks, `SELECT `+contactColumns+` FROM contacts k
		WHERE k.workspace_id = $1 AND k.customer_id = ANY($2) AND k.is_primary AND k.deleted_at IS NULL`,
		workspaceID, pq.Array(customerIDs))
	return ks, classify(err)
}

// InsertContact stores k, filling ID, DisplayID, CreatedAt and UpdatedAt. A
// taken email fails with a UniqueViolation on ContactsEmail.
func InsertContact(ctx context.Context, q Queryer, k *Contact) error {
	var err error
	k.ID = NewID()
	if k.DisplayID, k.CreatedAt, err = nextStamp(ctx, q, k.WorkspaceID, KindContact); err != nil {
		return err
	}
	k.UpdatedAt = k.CreatedAt
	if k.Labels == nil {
		k.Labels = pq.StringArray{}
	}
	_, err = q.ExecContext(ctx, `INSERT INTO contacts (workspace_id, id, display_id, customer_id, name, email,
		title, is_primary, labels, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		k.WorkspaceID, k.ID, k.DisplayID, k.CustomerID, k.Name, k.Email, k.Title, k.IsPrimary, k.Labels,
		k.CreatedAt, k.UpdatedAt)
	return classify(err)
}

// UpdateContact writes every writable column of k and sets UpdatedAt.
func UpdateContact(ctx context.Context, q Queryer, k *Contact) error {
	if k.Labels == nil {
		k.Labels = pq.StringArray{}
	}
	err := q.GetContext(ctx, &k.UpdatedAt, `UPDATE contacts SET
		name = $3, email = $4, title = $5, is_primary = $6, labels = $7,
		updated_at = greatest(date_trunc('microseconds', clock_timestamp()), updated_at + interval '1 microsecond')
		WHERE workspace_id = $1 AND id = $2 RETURNING updated_at`,
		k.WorkspaceID, k.ID, k.Name, k.Email, k.Title, k.IsPrimary, k.Labels)
	return classify(err)
}

// DemotePrimaryContacts clears is_primary on the customer's non-deleted
// contacts other than keepID (which may be empty) and returns the contacts it
// changed, as they are now. Callers hold the customer's row lock, so that concurrent
// promotions take turns; contacts_primary is the backstop.
func DemotePrimaryContacts(ctx context.Context, q Queryer, workspaceID, customerID, keepID string) ([]Contact, error) {
	var ks []Contact
	err := q.SelectContext(ctx, &ks, `UPDATE contacts k SET is_primary = false,
		updated_at = greatest(date_trunc('microseconds', clock_timestamp()), updated_at + interval '1 microsecond')
		WHERE workspace_id = $1 AND customer_id = $2 AND is_primary AND deleted_at IS NULL AND id <> $3
		RETURNING `+contactColumns, workspaceID, customerID, keepID)
	return ks, classify(err)
}
