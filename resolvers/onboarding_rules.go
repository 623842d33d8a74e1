package resolvers

import (
	"time"
	"unicode/utf8"

	"pivotal/apperr"
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
