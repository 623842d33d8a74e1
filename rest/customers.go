package rest

import (
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5"

	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

type customerJSON struct {
	Object            string          `json:"object"`
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
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
}

func customerOut(c *model.Customer) customerJSON {
	md := json.RawMessage(c.Metadata)
	if len(md) == 0 {
		md = json.RawMessage("{}")
	}
	return customerJSON{
		Object: "customer", ID: c.ID, DisplayID: c.DisplayID, Name: c.Name, Slug: c.Slug,
		Domain: c.Domain, Status: resolvers.RESTEnum(c.Status), Plan: c.Plan, MRR: c.Mrr,
		MonthlyOrders: c.MonthlyOrders, HubspotCompanyID: c.HubspotCompanyID, HubspotDealID: c.HubspotDealID,
		StripeCustomerID: c.StripeCustomerID, IntercomCompanyID: c.IntercomCompanyID,
		SlackChannelID: c.SlackChannelID, Metadata: md,
		CreatedAt: gqltypes.FormatTime(c.CreatedAt.Time()), UpdatedAt: gqltypes.FormatTime(c.UpdatedAt.Time()),
	}
}

// customerFields reads the writable customer fields in the contract's order.
func customerFields(b *body) model.UpdateCustomerInput {
	in := model.UpdateCustomerInput{
		Name:   b.str("name", false),
		Slug:   b.str("slug", false),
		Domain: b.str("domain", true),
	}
	if s := b.str("status", false); s.IsSet() {
		var st *model.CustomerStatus
		if v := s.Value(); v != nil {
			e := resolvers.EnumFromREST[model.CustomerStatus](*v)
			st = &e
		}
		in.Status = graphql.OmittableOf(st)
	}
	in.Plan = b.str("plan", true)
	in.Mrr = b.integer("mrr", true)
	in.MonthlyOrders = b.integer("monthly_orders", true)
	in.HubspotCompanyID = b.str("hubspot_company_id", true)
	in.HubspotDealID = b.str("hubspot_deal_id", true)
	in.StripeCustomerID = b.str("stripe_customer_id", true)
	in.IntercomCompanyID = b.str("intercom_company_id", true)
	in.SlackChannelID = b.str("slack_channel_id", true)
	in.Metadata = b.object("metadata")
	return in
}

func (a *API) listCustomers(r *http.Request) (result, error) {
	q := r.URL.Query()
	args, err := listArgs(q, 20)
	if err != nil {
		return result{}, err
	}
	status, err := enumParam(q, "status", model.AllCustomerStatus)
	if err != nil {
		return result{}, err
	}
	page, err := a.res.CustomerRows(r.Context(), resolvers.CustomerFilter{Status: status, Slug: strParam(q, "slug")}, args)
	if err != nil {
		return result{}, err
	}
	body, err := renderList(page)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, body}, nil
}

func (a *API) createCustomer(r *http.Request) (result, error) {
	b, err := decodeBody(r)
	if err != nil {
		return result{}, err
	}
	if err := b.require("name"); err != nil {
		return result{}, err
	}
	f := customerFields(b)
	if err := b.check(); err != nil {
		return result{}, err
	}
	in := model.CreateCustomerInput{
		Name: *f.Name.Value(), Slug: f.Slug.Value(), Domain: f.Domain.Value(), Status: f.Status.Value(),
		Plan: f.Plan.Value(), Mrr: f.Mrr.Value(), MonthlyOrders: f.MonthlyOrders.Value(),
		HubspotCompanyID: f.HubspotCompanyID.Value(), HubspotDealID: f.HubspotDealID.Value(),
		StripeCustomerID: f.StripeCustomerID.Value(), IntercomCompanyID: f.IntercomCompanyID.Value(),
		SlackChannelID: f.SlackChannelID.Value(), Metadata: f.Metadata.Value(),
	}
	c, err := a.res.CreateCustomer(a.mutationContext(r), in)
	if err != nil {
		return result{}, err
	}
	return created(c)
}

func (a *API) getCustomer(r *http.Request) (result, error) {
	return a.getRow(r, resolvers.CustomerEntity)
}

func (a *API) updateCustomer(r *http.Request) (result, error) {
	b, err := decodeBody(r)
	if err != nil {
		return result{}, err
	}
	in := customerFields(b)
	if err := b.check(); err != nil {
		return result{}, err
	}
	c, err := a.res.UpdateCustomer(a.mutationContext(r), chi.URLParam(r, "id"), in)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, customerOut(c)}, nil
}

func (a *API) deleteCustomer(r *http.Request) (result, error) {
	d, err := a.res.DeleteCustomer(a.mutationContext(r), chi.URLParam(r, "id"))
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, deletedJSON(d)}, nil
}
