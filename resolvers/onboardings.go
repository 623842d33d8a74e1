package resolvers

import (
	"context"
	"strings"

	"pivotal/apperr"
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
