package resolvers

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
)

func toCustomer(c *db.Customer) *model.Customer {
	return &model.Customer{
		ID: c.ID, DisplayID: int(c.DisplayID), Name: c.Name, Slug: c.Slug, Domain: c.Domain,
		Status: model.CustomerStatus(strings.ToUpper(c.Status)), Plan: c.Plan,
		Mrr: int64PtrInt(c.MRR), MonthlyOrders: int64PtrInt(c.MonthlyOrders),
		HubspotCompanyID: c.HubspotCompanyID, HubspotDealID: c.HubspotDealID,
		StripeCustomerID: c.StripeCustomerID, IntercomCompanyID: c.IntercomCompanyID,
		SlackChannelID: c.SlackChannelID, Metadata: gqltypes.JSON(c.Metadata),
		CreatedAt: gqltypes.Time(c.CreatedAt), UpdatedAt: gqltypes.Time(c.UpdatedAt),
	}
}

// FindCustomer returns the caller's customer named by id (cuid or display id).
// Returns customer_not_found if it does not exist, is deleted, or belongs to
// another workspace.
func (r *Resolver) FindCustomer(ctx context.Context, id string) (*model.Customer, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	c, err := findCustomer(ctx, r.DB, who.WorkspaceID, id, false, false)
	if err != nil {
		return nil, err
	}
	return toCustomer(c), nil
}

// CustomerFilter selects customers; Status is already a valid enum value.
type CustomerFilter struct {
	Status *model.CustomerStatus
	Slug   *string
}

// CustomerPage is one page of customers, newest first.
type CustomerPage struct {
	Customers []*model.Customer
	HasMore   bool
}

// FindCustomers lists the caller's customers. Returns invalid_enum_value for a
// status outside the enum.
func (r *Resolver) FindCustomers(ctx context.Context, f CustomerFilter, a ListArgs) (*CustomerPage, error) {
	ws, filter, err := customerListQuery(ctx, f, a)
	if err != nil {
		return nil, err
	}
	rows, err := db.FindCustomers(ctx, r.DB, ws, filter)
	if err != nil {
		return nil, invalidValue(err)
	}
	p := &CustomerPage{HasMore: len(rows) > a.Limit}
	if p.HasMore {
		rows = rows[:a.Limit]
	}
	p.Customers = make([]*model.Customer, len(rows))
	for i := range rows {
		p.Customers[i] = toCustomer(&rows[i])
	}
	return p, nil
}

// customerListQuery checks a list request and states it in the store's terms:
// the caller's workspace and the filter. Returns invalid_enum_value for a
// status outside the enum.
func customerListQuery(ctx context.Context, f CustomerFilter, a ListArgs) (string, db.CustomerFilter, error) {
	who, err := identity(ctx)
	if err != nil {
		return "", db.CustomerFilter{}, err
	}
	var v validation
	enum(&v, "status", f.Status, model.AllCustomerStatus)
	if err := v.err(); err != nil {
		return "", db.CustomerFilter{}, err
	}
	return who.WorkspaceID, db.CustomerFilter{Status: ptrEnumToREST(f.Status), Slug: f.Slug, Page: a.page()}, nil
}

// CustomerConnection renders a page as a Relay connection.
func CustomerConnection(p *CustomerPage) *model.CustomerConnection {
	conn := &model.CustomerConnection{
		Edges: make([]model.CustomerEdge, len(p.Customers)),
		Nodes: make([]model.Customer, len(p.Customers)),
	}
	for i, c := range p.Customers {
		conn.Edges[i] = model.CustomerEdge{Cursor: encodeCursor(c.CreatedAt.Time()), Node: c}
		conn.Nodes[i] = *c
	}
	conn.PageInfo = pageInfo(len(p.Customers), p.HasMore, func(i int) gqltypes.Time { return p.Customers[i].CreatedAt })
	return conn
}

// maxInt bounds mrr and monthly_orders: they are GraphQL Ints, which are
// 32-bit, so REST holds them to the same bound (issue 10 C2).
const maxInt = math.MaxInt32

// defaultBackgroundTimeout bounds bookkeeping done off the request path.
const defaultBackgroundTimeout = 5 * time.Second

// findCustomer resolves an id (cuid or display id) to the workspace's customer,
// or customer_not_found.
func findCustomer(ctx context.Context, q db.Queryer, workspaceID, id string, withDeleted, forUpdate bool) (*db.Customer, error) {
	ref, ok := parseRef(id)
	if !ok {
		return nil, apperr.NotFoundError("customer")
	}
	c, err := db.FindCustomer(ctx, q, workspaceID, ref, withDeleted, forUpdate)
	if err != nil {
		return nil, notFound(err, "customer")
	}
	return c, nil
}

// freeSlug returns base, or base-2, base-3, … (the base cut so the whole stays
// within bounds), whichever is first not taken.
func freeSlug(ctx context.Context, q db.Queryer, workspaceID, base string) (string, error) {
	// Derivations in one workspace take turns, so concurrent creates of the same
	// name get distinct suffixes instead of failing.
	if err := db.LockSlugs(ctx, q, workspaceID); err != nil {
		return "", err
	}
	taken, err := db.TakenSlugs(ctx, q, workspaceID, cutSlug(base, maxSlug-12))
	if err != nil {
		return "", err
	}
	set := make(map[string]bool, len(taken))
	for _, s := range taken {
		set[s] = true
	}
	if !set[base] {
		return base, nil
	}
	for n := 2; ; n++ {
		suffix := fmt.Sprintf("-%d", n)
		cand := cutSlug(base, maxSlug-len(suffix)) + suffix
		if !set[cand] {
			return cand, nil
		}
	}
}

// slugTaken is the 409 for an explicit slug already in use.
func slugTaken(slug string) error {
	return &apperr.Error{Kind: apperr.Conflict, Code: "slug_taken", Field: "slug",
		Message: fmt.Sprintf("A customer with slug %q already exists.", slug)}
}

// CreateCustomer validates in and stores a customer. Returns validation errors,
// or slug_taken when an explicit slug is in use (a derived slug gets a suffix).
func (r *Resolver) CreateCustomer(ctx context.Context, in model.CreateCustomerInput) (*model.Customer, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateCustomerCreate(&in); err != nil {
		return nil, err
	}
	c := db.Customer{
		WorkspaceID: who.WorkspaceID, Name: in.Name, Domain: lowerPtr(in.Domain),
		Status: "active", Plan: in.Plan, MRR: intPtr64(in.Mrr), MonthlyOrders: intPtr64(in.MonthlyOrders),
		HubspotCompanyID: in.HubspotCompanyID, HubspotDealID: in.HubspotDealID,
		StripeCustomerID: in.StripeCustomerID, IntercomCompanyID: in.IntercomCompanyID,
		SlackChannelID: in.SlackChannelID, Metadata: compactJSON(in.Metadata),
	}
	if in.Status != nil {
		c.Status = RESTEnum(*in.Status)
	}
	// A derived slug can lose a race to a concurrent create; derive again then.
	for attempt := 0; ; attempt++ {
		out, err := mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*model.Customer, error) {
			var err error
			if in.Slug != nil {
				c.Slug = *in.Slug
			} else if c.Slug, err = freeSlug(ctx, tx, who.WorkspaceID, DeriveSlug(in.Name)); err != nil {
				return nil, err
			}
			if err := db.InsertCustomer(ctx, tx, &c); err != nil {
				return nil, err
			}
			out := toCustomer(&c)
			ev.add("customer.created", out)
			ev.audit("customer.created", "customer", c.ID)
			return out, nil
		})
		if isUnique(err, "customers_slug") {
			if in.Slug == nil && attempt < 5 {
				continue
			}
			return nil, slugTaken(c.Slug)
		}
		if err != nil {
			return nil, invalidValue(err)
		}
		return out, nil
	}
}

// UpdateCustomer applies the fields present in in. An empty update changes
// nothing, not even updated_at. Returns customer_not_found, validation errors
// or slug_taken.
func (r *Resolver) UpdateCustomer(ctx context.Context, id string, in model.UpdateCustomerInput) (*model.Customer, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateCustomerUpdate(&in); err != nil {
		return nil, err
	}
	var c *db.Customer
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*model.Customer, error) {
		var err error
		if c, err = findCustomer(ctx, tx, who.WorkspaceID, id, false, true); err != nil {
			return nil, err
		}
		before := *c
		setIf(in.Name, &c.Name)
		setIf(in.Slug, &c.Slug)
		setNullable(in.Domain, &c.Domain)
		c.Domain = lowerPtr(c.Domain)
		if s, ok := in.Status.ValueOK(); ok && s != nil {
			c.Status = RESTEnum(*s)
		}
		setNullable(in.Plan, &c.Plan)
		if v, ok := in.Mrr.ValueOK(); ok {
			c.MRR = intPtr64(v)
		}
		if v, ok := in.MonthlyOrders.ValueOK(); ok {
			c.MonthlyOrders = intPtr64(v)
		}
		setNullable(in.HubspotCompanyID, &c.HubspotCompanyID)
		setNullable(in.HubspotDealID, &c.HubspotDealID)
		setNullable(in.StripeCustomerID, &c.StripeCustomerID)
		setNullable(in.IntercomCompanyID, &c.IntercomCompanyID)
		setNullable(in.SlackChannelID, &c.SlackChannelID)
		if m, ok := in.Metadata.ValueOK(); ok {
			c.Metadata = compactJSON(m)
			if c.Metadata == nil {
				c.Metadata = []byte("{}")
			}
		}
		if customerUnchanged(&before, c) {
			return toCustomer(c), nil
		}
		if err := db.UpdateCustomer(ctx, tx, c); err != nil {
			return nil, err
		}
		prev, out := toCustomer(&before), toCustomer(c)
		ev.change("customer.updated", prev, out)
		if c.Status != before.Status {
			switch c.Status {
			case "at_risk", "churned", "archived":
				ev.change("customer."+c.Status, prev, out, "status")
			}
		}
		ev.audit("customer.updated", "customer", c.ID)
		return out, nil
	})
	if isUnique(err, "customers_slug") {
		return nil, slugTaken(c.Slug)
	}
	if err != nil {
		return nil, invalidValue(err)
	}
	return out, nil
}

func customerUnchanged(a, b *db.Customer) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqi := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Name == b.Name && a.Slug == b.Slug && eq(a.Domain, b.Domain) && a.Status == b.Status &&
		eq(a.Plan, b.Plan) && eqi(a.MRR, b.MRR) && eqi(a.MonthlyOrders, b.MonthlyOrders) &&
		eq(a.HubspotCompanyID, b.HubspotCompanyID) && eq(a.HubspotDealID, b.HubspotDealID) &&
		eq(a.StripeCustomerID, b.StripeCustomerID) && eq(a.IntercomCompanyID, b.IntercomCompanyID) &&
		eq(a.SlackChannelID, b.SlackChannelID) && bytes.Equal(a.Metadata, b.Metadata)
}

// DeleteCustomer soft-deletes a customer. Repeating it answers the same.
// Returns customer_not_found for an id that never existed in the workspace.
func (r *Resolver) DeleteCustomer(ctx context.Context, id string) (*Deleted, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*Deleted, error) {
		c, err := findCustomer(ctx, tx, who.WorkspaceID, id, true, true)
		if err != nil {
			return nil, err
		}
		d := &Deleted{ID: c.ID, DisplayID: int(c.DisplayID)}
		if c.DeletedAt != nil {
			return d, nil
		}
		if _, err := db.SoftDelete(ctx, tx, "customers", who.WorkspaceID, c.ID); err != nil {
			return nil, err
		}
		ev.add("customer.deleted", toCustomer(c))
		ev.audit("customer.deleted", "customer", c.ID)
		return d, nil
	})
}
