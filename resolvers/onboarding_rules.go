package resolvers

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/db"
	"pivotal/graph/model"
)

// Bounds of onboarding fields (spec §7 Onboardings).
const (
	maxNotes           = 10000
	minReminderDays    = 1
	maxReminderDays    = 90
	defaultPhase       = "before_getting_started"
	stateActive        = "active"
	stateWaiting       = "waiting"
	onboardingNameTail = " onboarding"
)

// Validation follows the order the contract lists the onboarding's fields:
// customer_id, name, template_id, phase, state, waiting_on_customer,
// target_launch_date, csm_id, se_id, designer_id, product_ops_id, notes,
// reminders_enabled, reminder_frequency_days.

func validateOnboardingCreate(in *model.CreateOnboardingInput) error {
	var v validation
	v.str("name", in.Name, 1, maxName)
	v.str("template_id", in.TemplateID, 0, maxShortText)
	enum(&v, "phase", in.Phase, model.AllOnboardingPhase)
	enum(&v, "state", in.State, model.AllOnboardingState)
	launchDateFormat(&v, in.TargetLaunchDate)
	v.str("csm_id", in.CsmID, 0, maxShortText)
	v.str("se_id", in.SeID, 0, maxShortText)
	v.str("designer_id", in.DesignerID, 0, maxShortText)
	v.str("product_ops_id", in.ProductOpsID, 0, maxShortText)
	v.str("notes", in.Notes, 0, maxNotes)
	v.intRange("reminder_frequency_days", in.ReminderFrequencyDays, minReminderDays, maxReminderDays)
	if err := v.err(); err != nil {
		return err
	}
	return waitingConflict(in.State, in.WaitingOnCustomer)
}

func validateOnboardingUpdate(in *model.UpdateOnboardingInput) error {
	var v validation
	notNull(&v, "name", "a string", in.Name)
	notNull(&v, "phase", "a string", in.Phase)
	notNull(&v, "state", "a string", in.State)
	notNull(&v, "waiting_on_customer", "a boolean", in.WaitingOnCustomer)
	notNull(&v, "reminders_enabled", "a boolean", in.RemindersEnabled)
	notNull(&v, "reminder_frequency_days", "an integer", in.ReminderFrequencyDays)
	v.str("name", in.Name.Value(), 1, maxName)
	v.str("template_id", in.TemplateID.Value(), 0, maxShortText)
	enum(&v, "phase", in.Phase.Value(), model.AllOnboardingPhase)
	enum(&v, "state", in.State.Value(), model.AllOnboardingState)
	launchDateFormat(&v, in.TargetLaunchDate.Value())
	v.str("csm_id", in.CsmID.Value(), 0, maxShortText)
	v.str("se_id", in.SeID.Value(), 0, maxShortText)
	v.str("designer_id", in.DesignerID.Value(), 0, maxShortText)
	v.str("product_ops_id", in.ProductOpsID.Value(), 0, maxShortText)
	v.str("notes", in.Notes.Value(), 0, maxNotes)
	v.intRange("reminder_frequency_days", in.ReminderFrequencyDays.Value(), minReminderDays, maxReminderDays)
	if err := v.err(); err != nil {
		return err
	}
	return waitingConflict(in.State.Value(), in.WaitingOnCustomer.Value())
}

func launchDateFormat(v *validation, s *string) {
	if s == nil {
		return
	}
	t, ok := ParseLaunchDate(*s)
	switch {
	case !ok:
		v.fail(stageFormats, apperr.InvalidString("target_launch_date",
			"target_launch_date must be an ISO date (YYYY-MM-DD) or an ISO 8601 datetime"))
	case t.Year() < 1 || t.Year() > 9999:
		// Year 0 and before, and five-digit years, are valid Go times that
		// PostgreSQL and RFC 3339 print differently (0001 BC, +10000): refused,
		// so that every read path prints what was stored.
		v.fail(stageFormats, apperr.InvalidString("target_launch_date",
			"target_launch_date must be between the years 1 and 9999 (in UTC)"))
	}
}

// ParseLaunchDate reads an ISO date (midnight UTC) or an RFC 3339 datetime,
// in UTC and cut to the microseconds the database keeps.
func ParseLaunchDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Truncate(time.Microsecond), true
	}
	return time.Time{}, false
}

func launchDate(s *string) *time.Time {
	if s == nil {
		return nil
	}
	t, _ := ParseLaunchDate(*s)
	return &t
}

// waitingConflict refuses a request that sends state and waiting_on_customer
// in contradiction: waiting_on_customer is true exactly when state is waiting.
func waitingConflict(state *model.OnboardingState, waiting *bool) error {
	if state == nil || waiting == nil || (RESTEnum(*state) == stateWaiting) == *waiting {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Code: "conflicting_fields", Field: "waiting_on_customer",
		Message: "waiting_on_customer contradicts state: waiting_on_customer is true exactly when state is waiting"}
}

// waitingRule returns the state and waiting flag that result from the sent
// state and waiting_on_customer (either may be absent) over the stored state.
// Entering waiting sets both; leaving it clears both; waiting_on_customer:
// false alone takes a waiting onboarding back to active and leaves any other
// state as it is. The two sent values have already been checked to agree.
func waitingRule(state *model.OnboardingState, waiting *bool, stored string) (string, bool) {
	switch {
	case state != nil:
		s := RESTEnum(*state)
		return s, s == stateWaiting
	case waiting != nil && *waiting:
		return stateWaiting, true
	case waiting != nil && stored == stateWaiting:
		return stateActive, false
	}
	return stored, stored == stateWaiting
}

// defaultOnboardingName is "<customer name> onboarding", the customer name cut
// so that the whole stays within the name's bound.
func defaultOnboardingName(customer string) string {
	room := maxName - utf8.RuneCountInString(onboardingNameTail)
	if utf8.RuneCountInString(customer) > room {
		customer = string([]rune(customer)[:room])
	}
	return customer + onboardingNameTail
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
