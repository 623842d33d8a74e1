package resolvers

import (
	"strings"

	"pivotal/apperr"
	"pivotal/graph/model"
)

// Bounds of customer fields (spec §7 Customers).
const (
	maxName      = 255
	maxSlug      = 100
	maxShortText = 255
	maxPlan      = 100
)

func validateCustomerCreate(in *model.CreateCustomerInput) error {
	var v validation
	v.str("name", &in.Name, 1, maxName)
	v.str("slug", in.Slug, 1, maxSlug)
	v.str("domain", in.Domain, 0, maxShortText)
	v.str("plan", in.Plan, 0, maxPlan)
	v.intRange("mrr", in.Mrr, 0, maxInt)
	v.intRange("monthly_orders", in.MonthlyOrders, 0, maxInt)
	v.str("hubspot_company_id", in.HubspotCompanyID, 0, maxShortText)
	v.str("hubspot_deal_id", in.HubspotDealID, 0, maxShortText)
	v.str("stripe_customer_id", in.StripeCustomerID, 0, maxShortText)
	v.str("intercom_company_id", in.IntercomCompanyID, 0, maxShortText)
	v.str("slack_channel_id", in.SlackChannelID, 0, maxShortText)
	v.metadata("metadata", in.Metadata)
	enum(&v, "status", in.Status, model.AllCustomerStatus)
	slugFormat(&v, in.Slug)
	return v.err()
}

func validateCustomerUpdate(in *model.UpdateCustomerInput) error {
	var v validation
	notNull(&v, "name", "a string", in.Name)
	notNull(&v, "slug", "a string", in.Slug)
	notNull(&v, "status", "a string", in.Status)
	v.str("name", in.Name.Value(), 1, maxName)
	v.str("slug", in.Slug.Value(), 1, maxSlug)
	v.str("domain", in.Domain.Value(), 0, maxShortText)
	v.str("plan", in.Plan.Value(), 0, maxPlan)
	v.intRange("mrr", in.Mrr.Value(), 0, maxInt)
	v.intRange("monthly_orders", in.MonthlyOrders.Value(), 0, maxInt)
	v.str("hubspot_company_id", in.HubspotCompanyID.Value(), 0, maxShortText)
	v.str("hubspot_deal_id", in.HubspotDealID.Value(), 0, maxShortText)
	v.str("stripe_customer_id", in.StripeCustomerID.Value(), 0, maxShortText)
	v.str("intercom_company_id", in.IntercomCompanyID.Value(), 0, maxShortText)
	v.str("slack_channel_id", in.SlackChannelID.Value(), 0, maxShortText)
	v.metadata("metadata", in.Metadata.Value())
	enum(&v, "status", in.Status.Value(), model.AllCustomerStatus)
	slugFormat(&v, in.Slug.Value())
	return v.err()
}

func slugFormat(v *validation, s *string) {
	if s != nil && *s != "" && !validSlug(*s) {
		v.fail(stageFormats, apperr.InvalidString("slug",
			"slug must contain only lowercase letters, digits and hyphens, and must not start or end with a hyphen"))
	}
}

func validSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// DeriveSlug makes a slug from a name: lowercased, runs of characters outside
// [a-z0-9] become one '-', trimmed, cut to 100 characters; "customer" if empty.
func DeriveSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	s := cutSlug(b.String(), maxSlug)
	if s == "" {
		return "customer"
	}
	return s
}

func cutSlug(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Trim(s, "-")
}
