package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5"

	"pivotal/apperr"
	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

type onboardingJSON struct {
	Object                string  `json:"object"`
	ID                    string  `json:"id"`
	DisplayID             int     `json:"display_id"`
	CustomerID            string  `json:"customer_id"`
	Name                  string  `json:"name"`
	TemplateID            *string `json:"template_id"`
	Phase                 string  `json:"phase"`
	State                 string  `json:"state"`
	WaitingOnCustomer     bool    `json:"waiting_on_customer"`
	StartedAt             string  `json:"started_at"`
	CompletedAt           *string `json:"completed_at"`
	TargetLaunchDate      *string `json:"target_launch_date"`
	CsmID                 *string `json:"csm_id"`
	SeID                  *string `json:"se_id"`
	DesignerID            *string `json:"designer_id"`
	ProductOpsID          *string `json:"product_ops_id"`
	Notes                 *string `json:"notes"`
	RemindersEnabled      bool    `json:"reminders_enabled"`
	ReminderFrequencyDays int     `json:"reminder_frequency_days"`
	CreatedAt             string  `json:"created_at"`
	UpdatedAt             string  `json:"updated_at"`
}

func formatTimePtr(t *gqltypes.Time) *string {
	if t == nil {
		return nil
	}
	s := gqltypes.FormatTime(t.Time())
	return &s
}

func onboardingOut(o *model.Onboarding) onboardingJSON {
	return onboardingJSON{
		Object: "onboarding", ID: o.ID, DisplayID: o.DisplayID, CustomerID: o.CustomerID, Name: o.Name,
		TemplateID: o.TemplateID, Phase: resolvers.RESTEnum(o.Phase), State: resolvers.RESTEnum(o.State),
		WaitingOnCustomer: o.WaitingOnCustomer, StartedAt: gqltypes.FormatTime(o.StartedAt.Time()),
		CompletedAt: formatTimePtr(o.CompletedAt), TargetLaunchDate: formatTimePtr(o.TargetLaunchDate),
		CsmID: o.CsmID, SeID: o.SeID, DesignerID: o.DesignerID, ProductOpsID: o.ProductOpsID, Notes: o.Notes,
		RemindersEnabled: o.RemindersEnabled, ReminderFrequencyDays: o.ReminderFrequencyDays,
		CreatedAt: gqltypes.FormatTime(o.CreatedAt.Time()), UpdatedAt: gqltypes.FormatTime(o.UpdatedAt.Time()),
	}
}

// enumField reads a string field as a GraphQL enum value; a value outside the
// enum stays invalid so that the resolver reports it in the enum stage.
func enumField[T ~string](b *body, name string) graphql.Omittable[*T] {
	s := b.str(name, false)
	if !s.IsSet() {
		return graphql.Omittable[*T]{}
	}
	var e *T
	if v := s.Value(); v != nil {
		x := resolvers.EnumFromREST[T](*v)
		e = &x
	}
	return graphql.OmittableOf(e)
}

// onboardingFields reads the writable onboarding fields (all but customer_id)
// in the contract's order.
func onboardingFields(b *body) model.UpdateOnboardingInput {
	in := model.UpdateOnboardingInput{
		Name:       b.str("name", false),
		TemplateID: b.str("template_id", true),
	}
	in.Phase = enumField[model.OnboardingPhase](b, "phase")
	in.State = enumField[model.OnboardingState](b, "state")
	in.WaitingOnCustomer = b.boolean("waiting_on_customer", false)
	in.TargetLaunchDate = b.str("target_launch_date", true)
	in.CsmID = b.str("csm_id", true)
	in.SeID = b.str("se_id", true)
	in.DesignerID = b.str("designer_id", true)
	in.ProductOpsID = b.str("product_ops_id", true)
	in.Notes = b.str("notes", true)
	in.RemindersEnabled = b.boolean("reminders_enabled", false)
	in.ReminderFrequencyDays = b.integer("reminder_frequency_days", false)
	return in
}

// customerRef reads a body's customer_id: a string (cuid or display id) or,
// since display ids are integers, a JSON integer.
func (b *body) customerRef(name string) string {
	v, ok, null := b.raw(name)
	if !ok {
		return ""
	}
	var s string
	switch {
	case null:
	case v[0] == '"':
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	default:
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		var n json.Number
		if d.Decode(&n) == nil && strings.Trim(n.String(), "0123456789") == "" {
			return n.String()
		}
	}
	b.fail(apperr.InvalidType(name, "a string"))
	return ""
}

func (a *API) createOnboarding(r *http.Request) (result, error) {
	b, err := decodeBody(r)
	if err != nil {
		return result{}, err
	}
	if err := b.require("customer_id"); err != nil {
		return result{}, err
	}
	customerID := b.customerRef("customer_id")
	f := onboardingFields(b)
	if err := b.check(); err != nil {
		return result{}, err
	}
	in := model.CreateOnboardingInput{
		CustomerID: customerID, Name: f.Name.Value(), TemplateID: f.TemplateID.Value(),
		Phase: f.Phase.Value(), State: f.State.Value(), WaitingOnCustomer: f.WaitingOnCustomer.Value(),
		TargetLaunchDate: f.TargetLaunchDate.Value(), CsmID: f.CsmID.Value(), SeID: f.SeID.Value(),
		DesignerID: f.DesignerID.Value(), ProductOpsID: f.ProductOpsID.Value(), Notes: f.Notes.Value(),
		RemindersEnabled: f.RemindersEnabled.Value(), ReminderFrequencyDays: f.ReminderFrequencyDays.Value(),
	}
	o, err := a.res.CreateOnboarding(a.mutationContext(r), in)
	if err != nil {
		return result{}, err
	}
	return created(o)
}

func (a *API) getOnboarding(r *http.Request) (result, error) {
	return a.getRow(r, resolvers.OnboardingEntity)
}

func (a *API) updateOnboarding(r *http.Request) (result, error) {
	b, err := decodeBody(r)
	if err != nil {
		return result{}, err
	}
	in := onboardingFields(b)
	if err := b.check(); err != nil {
		return result{}, err
	}
	o, err := a.res.UpdateOnboarding(a.mutationContext(r), chi.URLParam(r, "id"), in)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, onboardingOut(o)}, nil
}

func (a *API) deleteOnboarding(r *http.Request) (result, error) {
	d, err := a.res.DeleteOnboarding(a.mutationContext(r), chi.URLParam(r, "id"))
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, deletedJSON(d)}, nil
}

// onboardingQuery reads limit, cursor, state and phase.
func onboardingQuery(r *http.Request, def int) (resolvers.ListArgs, resolvers.OnboardingFilter, error) {
	q := r.URL.Query()
	var f resolvers.OnboardingFilter
	args, err := listArgs(q, def)
	if err != nil {
		return args, f, err
	}
	f.CustomerID = strParam(q, "customer_id")
	if f.State, err = enumParam(q, "state", model.AllOnboardingState); err != nil {
		return args, f, err
	}
	f.Phase, err = enumParam(q, "phase", model.AllOnboardingPhase)
	return args, f, err
}

// listOnboardings serves GET /onboardings, whose default page is 25 (spec §4).
func (a *API) listOnboardings(r *http.Request) (result, error) {
	args, f, err := onboardingQuery(r, 25)
	if err != nil {
		return result{}, err
	}
	return a.onboardingRows(r, nil, f, args)
}

// listCustomerOnboardings serves GET /customers/{id}/onboardings; a
// customer_id query parameter is ignored there (the path names the customer).
func (a *API) listCustomerOnboardings(r *http.Request) (result, error) {
	args, f, err := onboardingQuery(r, 20)
	if err != nil {
		return result{}, err
	}
	id := chi.URLParam(r, "customerId")
	return a.onboardingRows(r, &id, f, args)
}

func (a *API) onboardingRows(r *http.Request, customerID *string, f resolvers.OnboardingFilter, args resolvers.ListArgs) (result, error) {
	page, err := a.res.OnboardingRows(r.Context(), customerID, f, args)
	if err != nil {
		return result{}, err
	}
	body, err := renderList(page)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, body}, nil
}
