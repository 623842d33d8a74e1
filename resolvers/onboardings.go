package resolvers

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
)

func toOnboarding(o *db.Onboarding) *model.Onboarding {
	return &model.Onboarding{
		ID: o.ID, DisplayID: int(o.DisplayID), CustomerID: o.CustomerID, Name: o.Name, TemplateID: o.TemplateID,
		Phase:             model.OnboardingPhase(strings.ToUpper(o.Phase)),
		State:             model.OnboardingState(strings.ToUpper(o.State)),
		WaitingOnCustomer: o.WaitingOnCustomer,
		StartedAt:         gqltypes.Time(o.StartedAt), CompletedAt: timePtr(o.CompletedAt),
		TargetLaunchDate: timePtr(o.TargetLaunchDate),
		CsmID:            o.CsmID, SeID: o.SeID, DesignerID: o.DesignerID, ProductOpsID: o.ProductOpsID,
		Notes: o.Notes, RemindersEnabled: o.RemindersEnabled, ReminderFrequencyDays: o.ReminderFrequencyDays,
		CreatedAt: gqltypes.Time(o.CreatedAt), UpdatedAt: gqltypes.Time(o.UpdatedAt),
	}
}

// findOnboarding resolves an id (cuid or display id) to the workspace's
// onboarding, or onboarding_not_found. An onboarding whose customer is deleted
// is not found either.
func findOnboarding(ctx context.Context, q db.Queryer, workspaceID, id string, withDeleted, forUpdate bool) (*db.Onboarding, error) {
	ref, ok := parseRef(id)
	if !ok {
		return nil, apperr.NotFoundError("onboarding")
	}
	o, err := db.FindOnboarding(ctx, q, workspaceID, ref, withDeleted, forUpdate)
	if err != nil {
		return nil, notFound(err, "onboarding")
	}
	return o, nil
}

// FindOnboarding returns the caller's onboarding named by id (cuid or display
// id). Returns onboarding_not_found if it does not exist, is deleted, belongs
// to a deleted customer or to another workspace.
func (r *Resolver) FindOnboarding(ctx context.Context, id string) (*model.Onboarding, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	o, err := findOnboarding(ctx, r.DB, who.WorkspaceID, id, false, false)
	if err != nil {
		return nil, err
	}
	return toOnboarding(o), nil
}

// OnboardingFilter selects onboardings. CustomerID names a customer by cuid or
// display id; Phase and State are enum values (validated here).
type OnboardingFilter struct {
	CustomerID *string
	State      *model.OnboardingState
	Phase      *model.OnboardingPhase
}

// OnboardingPage is one page of onboardings, newest first.
type OnboardingPage struct {
	Onboardings []*model.Onboarding
	HasMore     bool
}

func (f OnboardingFilter) validate() error {
	var v validation
	enum(&v, "state", f.State, model.AllOnboardingState)
	enum(&v, "phase", f.Phase, model.AllOnboardingPhase)
	return v.err()
}

// FindOnboardings lists the caller's visible onboardings. A CustomerID naming
// no visible customer is customer_not_found; a bad enum is invalid_enum_value.
func (r *Resolver) FindOnboardings(ctx context.Context, f OnboardingFilter, a ListArgs) (*OnboardingPage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	var customerID *string
	if f.CustomerID != nil {
		c, err := findCustomer(ctx, r.DB, who.WorkspaceID, *f.CustomerID, false, false)
		if err != nil {
			return nil, err
		}
		customerID = &c.ID
	}
	return r.listOnboardings(ctx, who.WorkspaceID, customerID, f, a)
}

// FindCustomerOnboardings lists the onboardings of the customer named by
// customerID (cuid or display id); f.CustomerID is ignored. Returns
// customer_not_found when the customer is not visible.
func (r *Resolver) FindCustomerOnboardings(ctx context.Context, customerID string, f OnboardingFilter, a ListArgs) (*OnboardingPage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	c, err := findCustomer(ctx, r.DB, who.WorkspaceID, customerID, false, false)
	if err != nil {
		return nil, err
	}
	return r.listOnboardings(ctx, who.WorkspaceID, &c.ID, f, a)
}

func (r *Resolver) listOnboardings(ctx context.Context, workspaceID string, customerID *string, f OnboardingFilter, a ListArgs) (*OnboardingPage, error) {
	rows, err := db.FindOnboardings(ctx, r.DB, workspaceID, db.OnboardingFilter{
		CustomerID: customerID, State: ptrEnumToREST(f.State), Phase: ptrEnumToREST(f.Phase), Page: a.page()})
	if err != nil {
		return nil, invalidValue(err)
	}
	p := onboardingPage(rows, a.Limit)
	ids := make([]string, len(p.Onboardings))
	for i, o := range p.Onboardings {
		ids[i] = o.ID
	}
	noteOnboardings(ctx, ids)
	return p, nil
}

// onboardingPage cuts rows (fetched with one extra) to limit.
func onboardingPage(rows []db.Onboarding, limit int) *OnboardingPage {
	p := &OnboardingPage{HasMore: len(rows) > limit}
	if p.HasMore {
		rows = rows[:limit]
	}
	p.Onboardings = make([]*model.Onboarding, len(rows))
	for i := range rows {
		p.Onboardings[i] = toOnboarding(&rows[i])
	}
	return p
}

// OnboardingConnection renders a page as a Relay connection.
func OnboardingConnection(p *OnboardingPage) *model.OnboardingConnection {
	conn := &model.OnboardingConnection{
		Edges: make([]model.OnboardingEdge, len(p.Onboardings)),
		Nodes: make([]model.Onboarding, len(p.Onboardings)),
	}
	for i, o := range p.Onboardings {
		conn.Edges[i] = model.OnboardingEdge{Cursor: encodeCursor(o.CreatedAt.Time()), Node: o}
		conn.Nodes[i] = *o
	}
	conn.PageInfo = pageInfo(len(p.Onboardings), p.HasMore, func(i int) gqltypes.Time { return p.Onboardings[i].CreatedAt })
	return conn
}

func toPhaseTransition(p *db.PhaseTransition) model.PhaseTransition {
	t := model.PhaseTransition{ID: p.ID, To: model.OnboardingPhase(strings.ToUpper(p.ToPhase)),
		Actor: p.Actor, At: gqltypes.Time(p.CreatedAt)}
	if p.FromPhase != nil {
		from := model.OnboardingPhase(strings.ToUpper(*p.FromPhase))
		t.From = &from
	}
	return t
}

// recordPhase writes the phase change of o (from nil at creation) to the
// timeline, in the mutation's transaction, at the time of the change.
func recordPhase(ctx context.Context, tx *sqlx.Tx, who *auth.Identity, o *db.Onboarding, from *string, at time.Time) error {
	return db.InsertPhaseTransition(ctx, tx, &db.PhaseTransition{WorkspaceID: o.WorkspaceID, OnboardingID: o.ID,
		FromPhase: from, ToPhase: o.Phase, Actor: who.Actor(), CreatedAt: at})
}

// CreateOnboarding validates in and stores an onboarding of the customer
// in.CustomerID names (cuid or display id), with its first timeline entry.
// Returns validation errors, conflicting_fields, or customer_not_found.
func (r *Resolver) CreateOnboarding(ctx context.Context, in model.CreateOnboardingInput) (*model.Onboarding, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateOnboardingCreate(&in); err != nil {
		return nil, err
	}
	state, waiting := waitingRule(in.State, in.WaitingOnCustomer, stateActive)
	o := db.Onboarding{
		WorkspaceID: who.WorkspaceID, TemplateID: in.TemplateID, Phase: defaultPhase,
		State: state, WaitingOnCustomer: waiting, TargetLaunchDate: launchDate(in.TargetLaunchDate),
		CsmID: in.CsmID, SeID: in.SeID, DesignerID: in.DesignerID, ProductOpsID: in.ProductOpsID,
		Notes: in.Notes, RemindersEnabled: derefOr(in.RemindersEnabled, true),
		ReminderFrequencyDays: derefOr(in.ReminderFrequencyDays, minReminderDays),
	}
	if in.Phase != nil {
		o.Phase = RESTEnum(*in.Phase)
	}
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*model.Onboarding, error) {
		c, err := findCustomer(ctx, tx, who.WorkspaceID, in.CustomerID, false, false)
		if err != nil {
			return nil, err
		}
		o.CustomerID = c.ID
		o.Name = derefOr(in.Name, defaultOnboardingName(c.Name))
		if err := db.InsertOnboarding(ctx, tx, &o); err != nil {
			return nil, err
		}
		if err := recordPhase(ctx, tx, who, &o, nil, o.CreatedAt); err != nil {
			return nil, err
		}
		out := toOnboarding(&o)
		ev.add("onboarding.created", out)
		ev.audit("onboarding.created", "onboarding", o.ID)
		return out, nil
	})
	if err != nil {
		return nil, invalidValue(err)
	}
	return out, nil
}

// UpdateOnboarding applies the fields present in in to the stored onboarding.
// A phase change is written to the timeline in the same transaction; an update
// that changes nothing leaves updated_at alone. Returns onboarding_not_found,
// validation errors or conflicting_fields.
func (r *Resolver) UpdateOnboarding(ctx context.Context, id string, in model.UpdateOnboardingInput) (*model.Onboarding, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateOnboardingUpdate(&in); err != nil {
		return nil, err
	}
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*model.Onboarding, error) {
		o, err := findOnboarding(ctx, tx, who.WorkspaceID, id, false, true)
		if err != nil {
			return nil, err
		}
		before := *o
		setIf(in.Name, &o.Name)
		setNullable(in.TemplateID, &o.TemplateID)
		if p, ok := in.Phase.ValueOK(); ok && p != nil {
			o.Phase = RESTEnum(*p)
		}
		o.State, o.WaitingOnCustomer = waitingRule(in.State.Value(), in.WaitingOnCustomer.Value(), o.State)
		if s, ok := in.TargetLaunchDate.ValueOK(); ok {
			o.TargetLaunchDate = launchDate(s)
		}
		setNullable(in.CsmID, &o.CsmID)
		setNullable(in.SeID, &o.SeID)
		setNullable(in.DesignerID, &o.DesignerID)
		setNullable(in.ProductOpsID, &o.ProductOpsID)
		setNullable(in.Notes, &o.Notes)
		setIf(in.RemindersEnabled, &o.RemindersEnabled)
		setIf(in.ReminderFrequencyDays, &o.ReminderFrequencyDays)
		if onboardingUnchanged(&before, o) {
			return toOnboarding(o), nil
		}
		if err := db.UpdateOnboarding(ctx, tx, o); err != nil {
			return nil, err
		}
		if o.Phase != before.Phase {
			if err := recordPhase(ctx, tx, who, o, &before.Phase, o.UpdatedAt); err != nil {
				return nil, err
			}
		}
		out := toOnboarding(o)
		onboardingEvents(ev, &before, o, toOnboarding(&before), out)
		ev.audit("onboarding.updated", "onboarding", o.ID)
		return out, nil
	})
	if err != nil {
		return nil, invalidValue(err)
	}
	return out, nil
}

// onboardingEvents records an update's events in the contract's order:
// updated, then phase and state changes and the milestones they reach.
func onboardingEvents(ev *Outbox, before, after *db.Onboarding, prev, out *model.Onboarding) {
	ev.change("onboarding.updated", prev, out)
	phase, state := after.Phase != before.Phase, after.State != before.State
	if phase {
		ev.change("onboarding.phase_changed", prev, out, "phase")
	}
	if state {
		ev.change("onboarding.state_changed", prev, out, "state")
	}
	if state && after.State == "at_risk" {
		ev.change("onboarding.at_risk", prev, out, "state")
	}
	if state && before.State == "at_risk" && after.State == "active" {
		ev.change("onboarding.back_on_track", prev, out, "state")
	}
	if phase && after.Phase == "launch" {
		ev.change("onboarding.launched", prev, out, "phase")
	}
	if phase && after.Phase == "completed" {
		ev.change("onboarding.completed", prev, out, "phase")
	}
}

func onboardingUnchanged(a, b *db.Onboarding) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqt := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Name == b.Name && eq(a.TemplateID, b.TemplateID) && a.Phase == b.Phase && a.State == b.State &&
		a.WaitingOnCustomer == b.WaitingOnCustomer && eqt(a.TargetLaunchDate, b.TargetLaunchDate) &&
		eq(a.CsmID, b.CsmID) && eq(a.SeID, b.SeID) && eq(a.DesignerID, b.DesignerID) &&
		eq(a.ProductOpsID, b.ProductOpsID) && eq(a.Notes, b.Notes) &&
		a.RemindersEnabled == b.RemindersEnabled && a.ReminderFrequencyDays == b.ReminderFrequencyDays
}

// DeleteOnboarding soft-deletes an onboarding. Repeating it answers the same.
// Returns onboarding_not_found for an id that never existed in the workspace
// or whose customer is deleted.
func (r *Resolver) DeleteOnboarding(ctx context.Context, id string) (*Deleted, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, r, func(tx *sqlx.Tx, ev *Outbox) (*Deleted, error) {
		o, err := findOnboarding(ctx, tx, who.WorkspaceID, id, true, true)
		if err != nil {
			return nil, err
		}
		d := &Deleted{ID: o.ID, DisplayID: int(o.DisplayID)}
		if o.DeletedAt != nil {
			return d, nil
		}
		if _, err := db.SoftDelete(ctx, tx, "onboardings", who.WorkspaceID, o.ID); err != nil {
			return nil, err
		}
		ev.add("onboarding.deleted", toOnboarding(o))
		ev.audit("onboarding.deleted", "onboarding", o.ID)
		return d, nil
	})
}
