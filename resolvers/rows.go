package resolvers

import (
	"context"
	"strconv"
	"sync"

	"pivotal/apperr"
	"pivotal/db"
)

// RowPage is a page of one entity's rows, as the store returned them: what the
// REST lists render (rest's row renderer reads the entity's field table).
type RowPage struct {
	Entity  *Entity
	HasMore bool
	rows    *db.Rows
	n       int
}

// Len is the number of rows in the page.
func (p *RowPage) Len() int { return p.n }

// Value returns field f (an index into Entity.Fields) of row i; ok=false for NULL.
func (p *RowPage) Value(i, f int) (v []byte, ok bool) { return p.rows.Value(i, f) }

// Created returns row i's creation instant in db.TimeLayout.
func (p *RowPage) Created(i int) []byte {
	for f := range p.Entity.Fields {
		if p.Entity.Fields[f].Column == "created_at" {
			v, _ := p.rows.Value(i, f)
			return v
		}
	}
	return nil
}

// restColumns are the columns of ent's fields, which follow the table's order.
func restColumns(ent *Entity) []string {
	cols := make([]string, len(ent.Fields))
	for i, f := range ent.Fields {
		cols[i] = f.Column
	}
	return cols
}

// restLevels are the REST reads' statements (restLevel → *db.Level), each
// built once.
var restLevels sync.Map

type restLevel struct {
	ent     *Entity
	rel     db.Relation
	filters db.Filter
}

// rowPage reads one page of level (of every field of ent): limit rows and
// whether more follow.
func (r *Resolver) rowPage(ctx context.Context, ws string, ent *Entity, level db.Level, ask db.Ask, a ListArgs) (*RowPage, error) {
	key := restLevel{ent, level.Rel, level.Filters}
	l, ok := restLevels.Load(key)
	if !ok {
		level.Table, level.Columns = ent.Table, restColumns(ent)
		if _, err := level.SQL(); err != nil {
			return nil, err
		}
		l, _ = restLevels.LoadOrStore(key, &level)
	}
	ask.Limit, ask.Before = a.Limit+1, a.Before
	rows := &db.Rows{}
	if err := l.(*db.Level).Query(ctx, r.DB, ws, []db.Ask{ask}, 0, rows); err != nil {
		return nil, invalidValue(err)
	}
	return &RowPage{Entity: ent, HasMore: rows.Len() > a.Limit, rows: rows, n: min(rows.Len(), a.Limit)}, nil
}

// CustomerRows is FindCustomers as rows.
func (r *Resolver) CustomerRows(ctx context.Context, f CustomerFilter, a ListArgs) (*RowPage, error) {
	ws, filter, err := customerListQuery(ctx, f, a)
	if err != nil {
		return nil, err
	}
	level, ask := db.Level{Rel: db.RelRoot}, db.Ask{}
	if filter.Status != nil {
		level.Filters |= db.FilterStatus
		ask.Status = *filter.Status
	}
	if filter.Slug != nil {
		level.Filters |= db.FilterSlug
		ask.Slug = *filter.Slug
	}
	return r.rowPage(ctx, ws, CustomerEntity, level, ask, a)
}

// ContactRows is FindContacts as rows.
func (r *Resolver) ContactRows(ctx context.Context, customerID string, a ListArgs) (*RowPage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	c, err := findCustomer(ctx, r.DB, who.WorkspaceID, customerID, false, false)
	if err != nil {
		return nil, err
	}
	return r.rowPage(ctx, who.WorkspaceID, ContactEntity, db.Level{Rel: db.RelCustomer}, db.Ask{Key: c.ID}, a)
}

// OnboardingRows is FindOnboardings as rows; with customerID set, the
// onboardings of that customer (FindCustomerOnboardings), whatever f.CustomerID.
func (r *Resolver) OnboardingRows(ctx context.Context, customerID *string, f OnboardingFilter, a ListArgs) (*RowPage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	if customerID == nil {
		customerID = f.CustomerID
	}
	level, ask := db.Level{Rel: db.RelRoot}, db.Ask{}
	if customerID != nil {
		c, err := findCustomer(ctx, r.DB, who.WorkspaceID, *customerID, false, false)
		if err != nil {
			return nil, err
		}
		level.Rel, ask.Key = db.RelCustomer, c.ID
	}
	if s := ptrEnumToREST(f.State); s != nil && *s == "waiting" {
		level.Filters |= db.FilterWaiting
	} else if s != nil {
		level.Filters |= db.FilterState
		ask.State = *s
	}
	if p := ptrEnumToREST(f.Phase); p != nil {
		level.Filters |= db.FilterPhase
		ask.Phase = *p
	}
	return r.rowPage(ctx, who.WorkspaceID, OnboardingEntity, level, ask, a)
}

// Row reads the visible object of ent that id names (cuid or display id), as
// a page of one row; apperr's not found (for ent's REST object) otherwise.
func (r *Resolver) Row(ctx context.Context, ent *Entity, id string) (*RowPage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	ref, ok := parseRef(id)
	if !ok {
		return nil, apperr.NotFoundError(ent.Object)
	}
	level, ask := db.Level{Rel: db.RelGetID}, db.Ask{Key: ref.ID}
	if ref.DisplayID > 0 {
		level.Rel, ask.Key = db.RelGetDisplayID, strconv.FormatInt(ref.DisplayID, 10)
	}
	p, err := r.rowPage(ctx, who.WorkspaceID, ent, level, ask, ListArgs{Limit: 1})
	if err != nil {
		return nil, err
	}
	if p.Len() == 0 {
		return nil, apperr.NotFoundError(ent.Object)
	}
	return p, nil
}
