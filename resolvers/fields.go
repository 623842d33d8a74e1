package resolvers

import (
	"pivotal/db"
	"pivotal/jsonw"
)

// The field table of each entity: for every column the store reads, its
// GraphQL field, its REST field and how its value is written. The read plans'
// column lists, the GraphQL writer (readplan.go) and the REST renderer
// (rest's row renderer) all read these tables; adding a column to an entity
// touches its migration, schema.graphqls, the OpenAPI document and this table.

// Enc says how a column's stored text becomes a JSON value.
type Enc uint8

const (
	// EncString is text: a JSON string.
	EncString Enc = iota
	// EncNumber is an integer, or a boolean: written as stored.
	EncNumber
	// EncEnum is a lower-case enum: upper case in GraphQL, as stored in REST.
	EncEnum
	// EncTime is an instant in db.TimeLayout: a JSON string.
	EncTime
	// EncJSON is a json object: as stored in GraphQL, compacted in REST.
	EncJSON
	// EncStrings is a text[]: a JSON array of strings.
	EncStrings
)

// Field is one column of an entity.
type Field struct {
	Column  string // the store's column
	GraphQL string // the GraphQL field ("" when GraphQL does not show it)
	REST    string // the REST field ("" when REST does not show it)
	Enc     Enc
}

// Entity is an object type the read path writes from rows.
type Entity struct {
	Table db.Table
	// Type is the GraphQL type; Object the REST "object" value.
	Type, Object string
	// Fields are in REST's order.
	Fields []Field
	// byGraphQL finds a field by its GraphQL name.
	byGraphQL map[string]*Field
}

func entity(t db.Table, typ, object string, fields ...Field) *Entity {
	e := &Entity{Table: t, Type: typ, Object: object, Fields: fields, byGraphQL: map[string]*Field{}}
	for i := range e.Fields {
		if f := &e.Fields[i]; f.GraphQL != "" {
			e.byGraphQL[f.GraphQL] = f
		}
	}
	return e
}

// The entities of the read path.
var (
	CustomerEntity = entity(db.TableCustomers, "Customer", "customer",
		Field{"id", "id", "id", EncString},
		Field{"display_id", "displayId", "display_id", EncNumber},
		Field{"name", "name", "name", EncString},
		Field{"slug", "slug", "slug", EncString},
		Field{"domain", "domain", "domain", EncString},
		Field{"status", "status", "status", EncEnum},
		Field{"plan", "plan", "plan", EncString},
		Field{"mrr", "mrr", "mrr", EncNumber},
		Field{"monthly_orders", "monthlyOrders", "monthly_orders", EncNumber},
		Field{"hubspot_company_id", "hubspotCompanyId", "hubspot_company_id", EncString},
		Field{"hubspot_deal_id", "hubspotDealId", "hubspot_deal_id", EncString},
		Field{"stripe_customer_id", "stripeCustomerId", "stripe_customer_id", EncString},
		Field{"intercom_company_id", "intercomCompanyId", "intercom_company_id", EncString},
		Field{"slack_channel_id", "slackChannelId", "slack_channel_id", EncString},
		Field{"metadata", "metadata", "metadata", EncJSON},
		Field{"created_at", "createdAt", "created_at", EncTime},
		Field{"updated_at", "updatedAt", "updated_at", EncTime},
	)
	ContactEntity = entity(db.TableContacts, "Contact", "contact",
		Field{"id", "id", "id", EncString},
		Field{"display_id", "displayId", "display_id", EncNumber},
		Field{"customer_id", "customerId", "customer_id", EncString},
		Field{"name", "name", "name", EncString},
		Field{"email", "email", "email", EncString},
		Field{"title", "title", "title", EncString},
		Field{"is_primary", "isPrimary", "is_primary", EncNumber},
		Field{"labels", "labels", "labels", EncStrings},
		Field{"created_at", "createdAt", "created_at", EncTime},
		Field{"updated_at", "updatedAt", "updated_at", EncTime},
	)
	OnboardingEntity = entity(db.TableOnboardings, "Onboarding", "onboarding",
		Field{"id", "id", "id", EncString},
		Field{"display_id", "displayId", "display_id", EncNumber},
		Field{"customer_id", "customerId", "customer_id", EncString},
		Field{"name", "name", "name", EncString},
		Field{"template_id", "templateId", "template_id", EncString},
		Field{"phase", "phase", "phase", EncEnum},
		Field{"state", "state", "state", EncEnum},
		Field{"waiting_on_customer", "waitingOnCustomer", "waiting_on_customer", EncNumber},
		Field{"started_at", "startedAt", "started_at", EncTime},
		Field{"completed_at", "completedAt", "completed_at", EncTime},
		Field{"target_launch_date", "targetLaunchDate", "target_launch_date", EncTime},
		Field{"csm_id", "csmId", "csm_id", EncString},
		Field{"se_id", "seId", "se_id", EncString},
		Field{"designer_id", "designerId", "designer_id", EncString},
		Field{"product_ops_id", "productOpsId", "product_ops_id", EncString},
		Field{"notes", "notes", "notes", EncString},
		Field{"reminders_enabled", "remindersEnabled", "reminders_enabled", EncNumber},
		Field{"reminder_frequency_days", "reminderFrequencyDays", "reminder_frequency_days", EncNumber},
		Field{"created_at", "createdAt", "created_at", EncTime},
		Field{"updated_at", "updatedAt", "updated_at", EncTime},
	)
	PhaseTransitionEntity = entity(db.TablePhaseTransitions, "PhaseTransition", "",
		Field{"id", "id", "", EncString},
		Field{"from_phase", "from", "", EncEnum},
		Field{"to_phase", "to", "", EncEnum},
		Field{"actor", "actor", "", EncString},
		Field{"created_at", "at", "", EncTime},
	)
)

// AppendGraphQL appends v, a stored value of a column encoded as enc, as a
// GraphQL response carries it (the executor's value, as the transport writes
// it); ok=false (a NULL) appends null.
func AppendGraphQL(dst []byte, enc Enc, v []byte, ok bool) ([]byte, error) {
	if !ok {
		return append(dst, "null"...), nil
	}
	switch enc {
	case EncString:
		return jsonw.GraphQLString(dst, v), nil
	case EncNumber:
		return append(dst, v...), nil
	case EncEnum:
		dst = append(dst, '"')
		for _, c := range v {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return append(dst, '"'), nil
	case EncTime:
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"'), nil
	case EncJSON:
		if len(v) == 0 {
			return append(dst, "{}"...), nil
		}
		return jsonw.CompactHTML(dst, v), nil
	default:
		return jsonw.StringArray(dst, v, jsonw.GraphQLString)
	}
}

// AppendREST is AppendGraphQL as the REST API prints values.
func AppendREST(dst []byte, enc Enc, v []byte, ok bool) ([]byte, error) {
	if !ok {
		return append(dst, "null"...), nil
	}
	switch enc {
	case EncString, EncEnum:
		return jsonw.RESTString(dst, v), nil
	case EncNumber:
		return append(dst, v...), nil
	case EncTime:
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"'), nil
	case EncJSON:
		if len(v) == 0 {
			return append(dst, "{}"...), nil
		}
		return jsonw.Compact(dst, v)
	default:
		return jsonw.StringArray(dst, v, jsonw.RESTString)
	}
}
