package resolvers

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
)

func toContact(k *db.Contact) *model.Contact {
	labels := []string(k.Labels)
	if labels == nil {
		labels = []string{}
	}
	return &model.Contact{
		ID: k.ID, DisplayID: int(k.DisplayID), CustomerID: k.CustomerID, Name: k.Name, Email: k.Email,
		Title: k.Title, IsPrimary: k.IsPrimary, Labels: labels,
		CreatedAt: gqltypes.Time(k.CreatedAt), UpdatedAt: gqltypes.Time(k.UpdatedAt),
	}
}

// findContact resolves an id (cuid or display id) to the workspace's contact
// whose customer is not deleted, or contact_not_found.
func findContact(ctx context.Context, q db.Queryer, workspaceID, id string, withDeleted, forUpdate bool) (*db.Contact, error) {
	ref, ok := parseRef(id)
	if !ok {
		return nil, apperr.NotFoundError("contact")
	}
	k, err := db.FindContact(ctx, q, workspaceID, ref, withDeleted, forUpdate)
	if err != nil {
		return nil, notFound(err, "contact")
	}
	return k, nil
}

// FindContact returns the caller's contact named by id (cuid or display id).
// Returns contact_not_found if it does not exist, is deleted, belongs to a
// deleted customer or to another workspace.
func (r *Resolver) FindContact(ctx context.Context, id string) (*model.Contact, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	k, err := findContact(ctx, r.DB, who.WorkspaceID, id, false, false)
	if err != nil {
		return nil, err
	}
	return toContact(k), nil
}

// ContactPage is one page of contacts, newest first.
type ContactPage struct {
	Contacts []*model.Contact
	HasMore  bool
}

// contactPage cuts rows fetched with limit+1 into a page.
func contactPage(rows []db.Contact, limit int) *ContactPage {
	p := &ContactPage{HasMore: len(rows) > limit}
	if p.HasMore {
		rows = rows[:limit]
	}
	p.Contacts = make([]*model.Contact, len(rows))
	for i := range rows {
		p.Contacts[i] = toContact(&rows[i])
	}
	return p
}

// FindContacts lists the contacts of the caller's customer customerID.
// Returns customer_not_found when the customer is missing, deleted or in
// another workspace.
func (r *Resolver) FindContacts(ctx context.Context, customerID string, a ListArgs) (*ContactPage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	c, err := findCustomer(ctx, r.DB, who.WorkspaceID, customerID, false, false)
	if err != nil {
		return nil, err
	}
	rows, err := db.FindContactsByCustomer(ctx, r.DB, who.WorkspaceID, c.ID, a.page())
	if err != nil {
		return nil, err
	}
	return contactPage(rows, a.Limit), nil
}

// ContactConnection renders a page as a Relay connection.
func ContactConnection(p *ContactPage) *model.ContactConnection {
	conn := &model.ContactConnection{
		Edges: make([]model.ContactEdge, len(p.Contacts)),
		Nodes: make([]model.Contact, len(p.Contacts)),
	}
	for i, k := range p.Contacts {
		conn.Edges[i] = model.ContactEdge{Cursor: encodeCursor(k.CreatedAt.Time()), Node: k}
		conn.Nodes[i] = *k
	}
	conn.PageInfo = pageInfo(len(p.Contacts), p.HasMore, func(i int) gqltypes.Time { return p.Contacts[i].CreatedAt })
	return conn
}

// emailTaken is the 409 for an address already used under the customer.
func emailTaken(email string) error {
	return &apperr.Error{Kind: apperr.Conflict, Code: "email_taken", Field: "email",
		Message: fmt.Sprintf("A contact with email %q already exists for this customer.", email)}
}

// demoteOtherPrimaries clears is_primary on the customer's other contacts and
// records each demotion. The caller holds the customer's row lock, so that
// promotions of one customer's contacts take turns (contacts_primary is the
// backstop).
func demoteOtherPrimaries(ctx context.Context, tx *sqlx.Tx, ev *Outbox, workspaceID, customerID, keepID string) error {
	demoted, err := db.DemotePrimaryContacts(ctx, tx, workspaceID, customerID, keepID)
	if err != nil {
		return err
	}
	for i := range demoted {
		after := toContact(&demoted[i])
		before := *after
		before.IsPrimary = true
		ev.change("contact.updated", &before, after)
		ev.audit("contact.updated", "contact", demoted[i].ID)
	}
	return nil
}

// CreateContact validates in and stores a contact of the caller's customer
// customerID, demoting the previous primary contact when in makes this one
// primary. Returns validation errors, customer_not_found, or email_taken.
func (r *Resolver) CreateContact(ctx context.Context, customerID string, in model.CreateContactInput) (*model.Contact, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	in.Email = normalizeEmail(in.Email)
	if err := validateContactCreate(&in); err != nil {
		return nil, err
	}
	k := db.Contact{
		WorkspaceID: who.WorkspaceID, Name: in.Name, Email: in.Email, Title: in.Title,
		IsPrimary: derefOr(in.IsPrimary, false), Labels: slices.Clone(in.Labels),
	}
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*model.Contact, error) {
		// The customer's lock serializes promotions. Every create takes it,
		// before the contact counter's lock: the insert's foreign-key check
		// needs a share of the customer row, and taking the counter first
		// would deadlock against a concurrent promotion holding the customer.
		// Creates in a workspace already take turns on the counter row.
		c, err := findCustomer(ctx, tx, who.WorkspaceID, customerID, false, true)
		if err != nil {
			return nil, err
		}
		k.CustomerID = c.ID
		if k.IsPrimary {
			if err := demoteOtherPrimaries(ctx, tx, ev, who.WorkspaceID, c.ID, ""); err != nil {
				return nil, err
			}
		}
		if err := db.InsertContact(ctx, tx, &k); err != nil {
			return nil, err
		}
		out := toContact(&k)
		ev.add("contact.created", out)
		ev.audit("contact.created", "contact", k.ID)
		return out, nil
	})
	if isUnique(err, db.ContactsEmail) {
		return nil, emailTaken(k.Email)
	}
	if err != nil {
		return nil, invalidValue(err)
	}
	return out, nil
}

// UpdateContact applies the fields present in in. An empty update changes
// nothing, not even updated_at. Returns contact_not_found, validation errors
// or email_taken.
func (r *Resolver) UpdateContact(ctx context.Context, id string, in model.UpdateContactInput) (*model.Contact, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if e, ok := in.Email.ValueOK(); ok && e != nil {
		*e = normalizeEmail(*e)
	}
	if err := validateContactUpdate(&in); err != nil {
		return nil, err
	}
	promote := false
	if p, ok := in.IsPrimary.ValueOK(); ok && p != nil {
		promote = *p
	}
	var k *db.Contact
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*model.Contact, error) {
		var err error
		if promote {
			// The customer's lock comes before the contact's, in every
			// transaction that takes both, so promotions cannot deadlock.
			if k, err = findContact(ctx, tx, who.WorkspaceID, id, false, false); err != nil {
				return nil, err
			}
			if _, err := db.FindCustomer(ctx, tx, who.WorkspaceID, db.Ref{ID: k.CustomerID}, false, true); err != nil {
				return nil, notFound(err, "contact")
			}
			if err := demoteOtherPrimaries(ctx, tx, ev, who.WorkspaceID, k.CustomerID, k.ID); err != nil {
				return nil, err
			}
		}
		if k, err = findContact(ctx, tx, who.WorkspaceID, id, false, true); err != nil {
			return nil, err
		}
		before := *k
		before.Labels = slices.Clone(k.Labels)
		setIf(in.Name, &k.Name)
		setIf(in.Email, &k.Email)
		setNullable(in.Title, &k.Title)
		setIf(in.IsPrimary, &k.IsPrimary)
		if l, ok := in.Labels.ValueOK(); ok && l != nil {
			k.Labels = slices.Clone(l)
		}
		if contactUnchanged(&before, k) {
			return toContact(k), nil
		}
		if err := db.UpdateContact(ctx, tx, k); err != nil {
			return nil, err
		}
		out := toContact(k)
		ev.change("contact.updated", toContact(&before), out)
		ev.audit("contact.updated", "contact", k.ID)
		return out, nil
	})
	if isUnique(err, db.ContactsEmail) {
		return nil, emailTaken(k.Email)
	}
	if err != nil {
		return nil, invalidValue(err)
	}
	return out, nil
}

func contactUnchanged(a, b *db.Contact) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Name == b.Name && a.Email == b.Email && eq(a.Title, b.Title) && a.IsPrimary == b.IsPrimary &&
		slices.Equal(a.Labels, b.Labels)
}

// DeleteContact soft-deletes a contact. Repeating it answers the same.
// Returns contact_not_found for an id that never existed in the workspace or
// whose customer is deleted.
func (r *Resolver) DeleteContact(ctx context.Context, id string) (*Deleted, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*Deleted, error) {
		k, err := findContact(ctx, tx, who.WorkspaceID, id, true, true)
		if err != nil {
			return nil, err
		}
		d := &Deleted{ID: k.ID, DisplayID: int(k.DisplayID)}
		if k.DeletedAt != nil {
			return d, nil
		}
		if _, err := db.SoftDelete(ctx, tx, "contacts", who.WorkspaceID, k.ID); err != nil {
			return nil, err
		}
		ev.add("contact.deleted", toContact(k))
		ev.audit("contact.deleted", "contact", k.ID)
		return d, nil
	})
}
