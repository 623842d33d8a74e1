package rest

import (
	"encoding/json"
	"fmt"
	"time"

	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

// Resource renders a model object as its REST v1 resource, exactly as GET
// returns it. It is the renderer events use for data.object
// (resolvers.ResourceRenderer), so that a webhook carries the REST resource
// byte for byte, whoever renders REST responses.
func Resource(obj any) ([]byte, error) {
	switch o := obj.(type) {
	case *model.Customer:
		return Encode(customerOut(o))
	case *model.Contact:
		return Encode(contactOut(o))
	case *model.Onboarding:
		return Encode(onboardingOut(o))
	}
	return nil, fmt.Errorf("rest: no resource for %T", obj)
}

// ReadResource reads a REST resource that Resource wrote (an event's
// data.object) back as its model object; nil for objects that are not a
// customer, contact or onboarding (a webhook.ping's endpoint).
func ReadResource(b []byte) (model.EventObject, error) {
	var head struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, err
	}
	var r timeReader
	switch head.Object {
	case "customer":
		var c customerJSON
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, err
		}
		return &model.Customer{ID: c.ID, DisplayID: c.DisplayID, Name: c.Name, Slug: c.Slug, Domain: c.Domain,
			Status: resolvers.EnumFromREST[model.CustomerStatus](c.Status), Plan: c.Plan, Mrr: c.MRR,
			MonthlyOrders: c.MonthlyOrders, HubspotCompanyID: c.HubspotCompanyID, HubspotDealID: c.HubspotDealID,
			StripeCustomerID: c.StripeCustomerID, IntercomCompanyID: c.IntercomCompanyID, SlackChannelID: c.SlackChannelID,
			Metadata: gqltypes.JSON(c.Metadata), CreatedAt: r.at(c.CreatedAt), UpdatedAt: r.at(c.UpdatedAt)}, r.err
	case "contact":
		var k contactJSON
		if err := json.Unmarshal(b, &k); err != nil {
			return nil, err
		}
		if k.Labels == nil {
			k.Labels = []string{}
		}
		return &model.Contact{ID: k.ID, DisplayID: k.DisplayID, CustomerID: k.CustomerID, Name: k.Name, Email: k.Email,
			Title: k.Title, IsPrimary: k.IsPrimary, Labels: k.Labels,
			CreatedAt: r.at(k.CreatedAt), UpdatedAt: r.at(k.UpdatedAt)}, r.err
	case "onboarding":
		var o onboardingJSON
		if err := json.Unmarshal(b, &o); err != nil {
			return nil, err
		}
		return &model.Onboarding{ID: o.ID, DisplayID: o.DisplayID, CustomerID: o.CustomerID, Name: o.Name,
			TemplateID: o.TemplateID, Phase: resolvers.EnumFromREST[model.OnboardingPhase](o.Phase),
			State: resolvers.EnumFromREST[model.OnboardingState](o.State), WaitingOnCustomer: o.WaitingOnCustomer,
			StartedAt: r.at(o.StartedAt), CompletedAt: r.ptr(o.CompletedAt), TargetLaunchDate: r.ptr(o.TargetLaunchDate),
			CsmID: o.CsmID, SeID: o.SeID, DesignerID: o.DesignerID, ProductOpsID: o.ProductOpsID, Notes: o.Notes,
			RemindersEnabled: o.RemindersEnabled, ReminderFrequencyDays: o.ReminderFrequencyDays,
			CreatedAt: r.at(o.CreatedAt), UpdatedAt: r.at(o.UpdatedAt)}, r.err
	}
	return nil, nil
}

// timeReader parses REST timestamps, keeping the first error.
type timeReader struct{ err error }

func (r *timeReader) at(s string) gqltypes.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && r.err == nil {
		r.err = err
	}
	return gqltypes.Time(t)
}

func (r *timeReader) ptr(s *string) *gqltypes.Time {
	if s == nil {
		return nil
	}
	t := r.at(*s)
	return &t
}
