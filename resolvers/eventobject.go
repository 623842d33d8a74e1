package resolvers

import (
	"encoding/json"
	"fmt"
	"time"

	"pivotal/gqltypes"
	"pivotal/graph/model"
)

// EventFromPayload reads a stored envelope as the GraphQL Event: its object
// as of the event (read back from the REST resource it carries) and its
// previous attributes.
func EventFromPayload(payload []byte) (*model.Event, error) {
	var env struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		CreatedAt string `json:"created_at"`
		Livemode  bool   `json:"livemode"`
		Data      struct {
			Object             json.RawMessage `json:"object"`
			PreviousAttributes json.RawMessage `json:"previous_attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("event payload: %w", err)
	}
	at, err := time.Parse(time.RFC3339Nano, env.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("event payload: %w", err)
	}
	ev := &model.Event{ID: env.ID, Type: env.Type, CreatedAt: gqltypes.Time(at), Livemode: env.Livemode}
	if p := env.Data.PreviousAttributes; len(p) > 0 && string(p) != "null" {
		ev.PreviousAttributes = gqltypes.JSON(p)
	}
	if ev.Object, err = eventObject(env.Data.Object); err != nil {
		return nil, err
	}
	return ev, nil
}

// restTime is a REST timestamp field.
type restTime struct{ t *time.Time }

func (r *restTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	r.t = &t
	return err
}

func (r restTime) val() gqltypes.Time { return gqltypes.Time(*r.t) }
func (r restTime) ptr() *gqltypes.Time {
	if r.t == nil {
		return nil
	}
	return timePtr(r.t)
}

// eventObject reads the REST resource of an event as its GraphQL type; nil
// for objects outside the union (a webhook.ping's endpoint).
func eventObject(raw json.RawMessage) (model.EventObject, error) {
	var head struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("event object: %w", err)
	}
	switch head.Object {
	case "customer":
		var c struct {
			ID                string          `json:"id"`
			DisplayID         int             `json:"display_id"`
			Name              string          `json:"name"`
			Slug              string          `json:"slug"`
			Domain            *string         `json:"domain"`
			Status            string          `json:"status"`
			Plan              *string         `json:"plan"`
			MRR               *int            `json:"mrr"`
			MonthlyOrders     *int            `json:"monthly_orders"`
			HubspotCompanyID  *string         `json:"hubspot_company_id"`
			HubspotDealID     *string         `json:"hubspot_deal_id"`
			StripeCustomerID  *string         `json:"stripe_customer_id"`
			IntercomCompanyID *string         `json:"intercom_company_id"`
			SlackChannelID    *string         `json:"slack_channel_id"`
			Metadata          json.RawMessage `json:"metadata"`
			CreatedAt         restTime        `json:"created_at"`
			UpdatedAt         restTime        `json:"updated_at"`
		}
		if err := json.Unmarshal(raw, &c); err != nil || c.CreatedAt.t == nil || c.UpdatedAt.t == nil {
			return nil, fmt.Errorf("event customer: %v", err)
		}
		return &model.Customer{ID: c.ID, DisplayID: c.DisplayID, Name: c.Name, Slug: c.Slug, Domain: c.Domain,
			Status: EnumFromREST[model.CustomerStatus](c.Status), Plan: c.Plan, Mrr: c.MRR, MonthlyOrders: c.MonthlyOrders,
			HubspotCompanyID: c.HubspotCompanyID, HubspotDealID: c.HubspotDealID, StripeCustomerID: c.StripeCustomerID,
			IntercomCompanyID: c.IntercomCompanyID, SlackChannelID: c.SlackChannelID, Metadata: gqltypes.JSON(c.Metadata),
			CreatedAt: c.CreatedAt.val(), UpdatedAt: c.UpdatedAt.val()}, nil
	case "contact":
		var k struct {
			ID         string   `json:"id"`
			DisplayID  int      `json:"display_id"`
			CustomerID string   `json:"customer_id"`
			Name       string   `json:"name"`
			Email      string   `json:"email"`
			Title      *string  `json:"title"`
			IsPrimary  bool     `json:"is_primary"`
			Labels     []string `json:"labels"`
			CreatedAt  restTime `json:"created_at"`
			UpdatedAt  restTime `json:"updated_at"`
		}
		if err := json.Unmarshal(raw, &k); err != nil || k.CreatedAt.t == nil || k.UpdatedAt.t == nil {
			return nil, fmt.Errorf("event contact: %v", err)
		}
		if k.Labels == nil {
			k.Labels = []string{}
		}
		return &model.Contact{ID: k.ID, DisplayID: k.DisplayID, CustomerID: k.CustomerID, Name: k.Name, Email: k.Email,
			Title: k.Title, IsPrimary: k.IsPrimary, Labels: k.Labels, CreatedAt: k.CreatedAt.val(), UpdatedAt: k.UpdatedAt.val()}, nil
	case "onboarding":
		var o struct {
			ID                    string   `json:"id"`
			DisplayID             int      `json:"display_id"`
			CustomerID            string   `json:"customer_id"`
			Name                  string   `json:"name"`
			TemplateID            *string  `json:"template_id"`
			Phase                 string   `json:"phase"`
			State                 string   `json:"state"`
			WaitingOnCustomer     bool     `json:"waiting_on_customer"`
			StartedAt             restTime `json:"started_at"`
			CompletedAt           restTime `json:"completed_at"`
			TargetLaunchDate      restTime `json:"target_launch_date"`
			CsmID                 *string  `json:"csm_id"`
			SeID                  *string  `json:"se_id"`
			DesignerID            *string  `json:"designer_id"`
			ProductOpsID          *string  `json:"product_ops_id"`
			Notes                 *string  `json:"notes"`
			RemindersEnabled      bool     `json:"reminders_enabled"`
			ReminderFrequencyDays int      `json:"reminder_frequency_days"`
			CreatedAt             restTime `json:"created_at"`
			UpdatedAt             restTime `json:"updated_at"`
		}
		if err := json.Unmarshal(raw, &o); err != nil || o.StartedAt.t == nil || o.CreatedAt.t == nil || o.UpdatedAt.t == nil {
			return nil, fmt.Errorf("event onboarding: %v", err)
		}
		return &model.Onboarding{ID: o.ID, DisplayID: o.DisplayID, CustomerID: o.CustomerID, Name: o.Name,
			TemplateID: o.TemplateID, Phase: EnumFromREST[model.OnboardingPhase](o.Phase),
			State: EnumFromREST[model.OnboardingState](o.State), WaitingOnCustomer: o.WaitingOnCustomer,
			StartedAt: o.StartedAt.val(), CompletedAt: o.CompletedAt.ptr(), TargetLaunchDate: o.TargetLaunchDate.ptr(),
			CsmID: o.CsmID, SeID: o.SeID, DesignerID: o.DesignerID, ProductOpsID: o.ProductOpsID, Notes: o.Notes,
			RemindersEnabled: o.RemindersEnabled, ReminderFrequencyDays: o.ReminderFrequencyDays,
			CreatedAt: o.CreatedAt.val(), UpdatedAt: o.UpdatedAt.val()}, nil
	}
	return nil, nil
}
