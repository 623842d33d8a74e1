package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A JSON query builds a whole GraphQL response in one statement: PostgreSQL
// assembles the objects (json_build_object, json_agg), so the server neither
// decodes rows nor resolves fields one by one. The application layer describes
// what to build (a tree of Obj, Conn and Field); this file turns it into SQL
// in which every table is scoped by workspace and every name is a constant of
// this file, never client text.

// Table names an object type a JSON query can build.
type Table string

const (
	TableCustomers        Table = "customers"
	TableContacts         Table = "contacts"
	TableOnboardings      Table = "onboardings"
	TablePhaseTransitions Table = "phase_transitions"
)

// columns maps a GraphQL field of each table to its SQL expression over the
// row alias "%[1]s". Enums print in GraphQL's upper case; timestamps in the
// API's exact format.
var columns = map[Table]map[string]string{
	TableCustomers: {
		"id": "%[1]s.id", "displayId": "%[1]s.display_id", "name": "%[1]s.name", "slug": "%[1]s.slug",
		"domain": "%[1]s.domain", "status": "upper(%[1]s.status)", "plan": "%[1]s.plan", "mrr": "%[1]s.mrr",
		"monthlyOrders": "%[1]s.monthly_orders", "hubspotCompanyId": "%[1]s.hubspot_company_id",
		"hubspotDealId": "%[1]s.hubspot_deal_id", "stripeCustomerId": "%[1]s.stripe_customer_id",
		"intercomCompanyId": "%[1]s.intercom_company_id", "slackChannelId": "%[1]s.slack_channel_id",
		"metadata": "%[1]s.metadata", "createdAt": tsExpr("%[1]s.created_at"), "updatedAt": tsExpr("%[1]s.updated_at"),
	},
	TableContacts: {
		"id": "%[1]s.id", "displayId": "%[1]s.display_id", "customerId": "%[1]s.customer_id", "name": "%[1]s.name",
		"email": "%[1]s.email", "title": "%[1]s.title", "isPrimary": "%[1]s.is_primary",
		"labels": "to_json(%[1]s.labels)", "createdAt": tsExpr("%[1]s.created_at"), "updatedAt": tsExpr("%[1]s.updated_at"),
	},
	TableOnboardings: {
		"id": "%[1]s.id", "displayId": "%[1]s.display_id", "customerId": "%[1]s.customer_id", "name": "%[1]s.name",
		"templateId": "%[1]s.template_id", "phase": "upper(%[1]s.phase)", "state": "upper(%[1]s.state)",
		"waitingOnCustomer": "%[1]s.waiting_on_customer", "startedAt": tsExpr("%[1]s.started_at"),
		"completedAt": tsExpr("%[1]s.completed_at"), "targetLaunchDate": tsExpr("%[1]s.target_launch_date"),
		"csmId": "%[1]s.csm_id", "seId": "%[1]s.se_id", "designerId": "%[1]s.designer_id",
		"productOpsId": "%[1]s.product_ops_id", "notes": "%[1]s.notes", "remindersEnabled": "%[1]s.reminders_enabled",
		"reminderFrequencyDays": "%[1]s.reminder_frequency_days", "createdAt": tsExpr("%[1]s.created_at"),
		"updatedAt": tsExpr("%[1]s.updated_at"),
	},
	TablePhaseTransitions: {
		"id": "%[1]s.id", "from": "upper(%[1]s.from_phase)", "to": "upper(%[1]s.to_phase)",
		"actor": "%[1]s.actor", "at": tsExpr("%[1]s.created_at"),
	},
}

// tsExpr prints a timestamp as 2026-05-26T17:21:09.412000Z (NULL stays NULL).
// The colons are quoted literals so that no ":name" appears in the SQL text
// (pgbench, which replays our statements in bench/, reads those as variables).
func tsExpr(col string) string {
	return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"')`
}

// cursorExpr is the opaque GraphQL cursor of a row: unpadded base64url of
// "t:" and its creation time (resolvers' encodeCursor, in SQL).
func cursorExpr(col string) string {
	return `translate(encode(convert_to('t:' || ` + tsExpr(col) + `, 'UTF8'), 'base64'), '+/=', '-_')`
}

// HasColumn reports whether field is a scalar a JSON query can build for table.
func HasColumn(table Table, field string) bool {
	_, ok := columns[table][field]
	return ok
}

// FieldKind says what a Field builds.
type FieldKind int

const (
	// Column is a scalar of the row.
	Column FieldKind = iota
	// Typename is a constant string (__typename).
	Typename
	// Connection is a nested page of rows (Conn).
	Connection
	// Parent is the row's customer (contacts, onboardings).
	Parent
	// Primary is a customer's primary contact.
	Primary
	// Timeline is an onboarding's phase transitions, newest first.
	Timeline
)

// Field is one key of a built object.
type Field struct {
	Key  string
	Kind FieldKind
	// Name is the column's field name (Column) or the type name (Typename).
	Name string
	// Obj is what Parent, Primary and Timeline build.
	Obj *Obj
	// Conn is what Connection builds.
	Conn *Conn
}

// Obj is an object built from one row of Table.
type Obj struct {
	Table  Table
	Fields []Field
}

// ConnKind says what a key of a connection builds.
type ConnKind int

const (
	ConnNodes ConnKind = iota
	ConnEdges
	ConnPageInfo
	ConnTypename
)

// ConnField is one key of a connection object (or of its edges or pageInfo).
type ConnField struct {
	Key  string
	Kind ConnKind
	// Name is the type name for ConnTypename, or for a pageInfo/edge key the
	// field: hasNextPage, hasPreviousPage, startCursor, endCursor, cursor, node, __typename.
	Name string
	// Sub are the keys of an edge or of pageInfo.
	Sub []ConnField
	// Node is the object built for nodes and edges' node.
	Node *Obj
}

// Conn is a page of rows, newest first.
type Conn struct {
	Table  Table // customers or onboardings at the root; contacts or onboardings nested
	Limit  int
	Before *time.Time
	// Status and Slug filter customers; Phase and State onboardings (lower case,
	// State "waiting" meaning waiting on the customer).
	Status, Slug, Phase, State *string
	Fields                     []ConnField
}

// Root is one key of the response's data object.
type Root struct {
	Key      string
	Typename string // for __typename at the root; otherwise empty
	Conn     *Conn
}

// jsonBuilder accumulates the statement's arguments and fresh row aliases.
type jsonBuilder struct {
	args    []any
	aliases int
}

func (b *jsonBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (b *jsonBuilder) alias() string {
	b.aliases++
	return "t" + strconv.Itoa(b.aliases)
}

// maxPairs keeps json_build_object within PostgreSQL's 100 arguments.
const maxPairs = 50

// ErrTooWide means a selection has more keys than one object may be built with.
var ErrTooWide = fmt.Errorf("db: selection too wide for a JSON query")

// object returns the SQL building o from the row alias row.
func (b *jsonBuilder) object(o *Obj, row string) (string, error) {
	if len(o.Fields) > maxPairs {
		return "", ErrTooWide
	}
	parts := make([]string, 0, 2*len(o.Fields))
	for _, f := range o.Fields {
		var expr string
		var err error
		switch f.Kind {
		case Column:
			tmpl, ok := columns[o.Table][f.Name]
			if !ok {
				return "", fmt.Errorf("db: no column %s.%s", o.Table, f.Name)
			}
			expr = fmt.Sprintf(tmpl, row)
		case Typename:
			expr = b.arg(f.Name) + "::text"
		case Connection:
			expr, err = b.conn(f.Conn, row, o.Table)
		case Parent:
			expr, err = b.one(f.Obj, TableCustomers, "id = "+row+".customer_id")
		case Primary:
			expr, err = b.one(f.Obj, TableContacts, "customer_id = "+row+".id AND %[1]s.is_primary")
		case Timeline:
			expr, err = b.timeline(f.Obj, row)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, b.arg(f.Key)+"::text", expr)
	}
	return "json_build_object(" + strings.Join(parts, ", ") + ")", nil
}

// one builds the single visible row of table matching cond (or null).
func (b *jsonBuilder) one(o *Obj, table Table, cond string) (string, error) {
	t := b.alias()
	obj, err := b.object(o, t)
	if err != nil {
		return "", err
	}
	cond = strings.ReplaceAll(cond, "%[1]s", t)
	return fmt.Sprintf(`(SELECT %s FROM %s %s WHERE %s.workspace_id = $1 AND %s.%s AND %s.deleted_at IS NULL LIMIT 1)`,
		obj, table, t, t, t, cond, t), nil
}

func (b *jsonBuilder) timeline(o *Obj, row string) (string, error) {
	t := b.alias()
	obj, err := b.object(o, t)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`(SELECT coalesce(json_agg(%s ORDER BY %s.created_at DESC, %s.id DESC), '[]'::json)
		FROM phase_transitions %s WHERE %s.workspace_id = $1 AND %s.onboarding_id = %s.id)`,
		obj, t, t, t, t, t, row), nil
}

// conn builds a connection; parent is the enclosing row alias and parentTable
// its table (both empty at the root).
func (b *jsonBuilder) conn(c *Conn, parent string, parentTable Table) (string, error) {
	t := b.alias()
	var where []string
	where = append(where, t+".workspace_id = $1", t+".deleted_at IS NULL")
	switch {
	case parent == "" && c.Table == TableOnboardings:
		// At the root, an onboarding is visible only while its customer is.
		where = append(where, `EXISTS (SELECT 1 FROM customers p WHERE p.workspace_id = $1 AND p.id = `+t+`.customer_id AND p.deleted_at IS NULL)`)
	case parentTable == TableCustomers:
		where = append(where, t+".customer_id = "+parent+".id")
	case parentTable == TableContacts:
		// A contact takes part in every onboarding of its customer.
		where = append(where, t+".customer_id = "+parent+".customer_id")
	case parent != "":
		return "", fmt.Errorf("db: no connection under %s", parentTable)
	}
	if c.Status != nil {
		where = append(where, t+".status = "+b.arg(*c.Status))
	}
	if c.Slug != nil {
		where = append(where, t+".slug = "+b.arg(*c.Slug))
	}
	if c.Phase != nil {
		where = append(where, t+".phase = "+b.arg(*c.Phase))
	}
	if c.State != nil {
		if *c.State == "waiting" {
			where = append(where, t+".waiting_on_customer")
		} else {
			where = append(where, t+".state = "+b.arg(*c.State))
		}
	}
	if c.Before != nil {
		where = append(where, t+".created_at < "+b.arg(*c.Before))
	}
	limit := strconv.Itoa(c.Limit)
	if !c.needsLookahead() {
		// Nothing asks whether more rows follow: fetch the page alone.
		fields, err := b.connFields(c, t, "true", limit)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf(`(SELECT json_build_object(%s) FROM (
			SELECT %s.* FROM %s %s WHERE %s ORDER BY %s.created_at DESC LIMIT %d) %s)`,
			fields, t, c.Table, t, strings.Join(where, " AND "), t, c.Limit, t), nil
	}
	inPage := "(" + t + ".rn <= " + limit + ")"
	fields, err := b.connFields(c, t, inPage, limit)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`(SELECT json_build_object(%s) FROM (
		SELECT %s.*, row_number() OVER (ORDER BY %s.created_at DESC) AS rn FROM %s %s
		WHERE %s ORDER BY %s.created_at DESC LIMIT %d) %s)`,
		fields, t, t, c.Table, t, strings.Join(where, " AND "), t, c.Limit+1, t), nil
}

// needsLookahead reports whether the connection builds hasNextPage, which
// takes one row beyond the page.
func (c *Conn) needsLookahead() bool {
	for _, f := range c.Fields {
		if f.Kind != ConnPageInfo {
			continue
		}
		for _, p := range f.Sub {
			if p.Name == "hasNextPage" {
				return true
			}
		}
	}
	return false
}

func (b *jsonBuilder) connFields(c *Conn, t, inPage, limit string) (string, error) {
	if len(c.Fields) > maxPairs {
		return "", ErrTooWide
	}
	var parts []string
	for _, f := range c.Fields {
		var expr string
		switch f.Kind {
		case ConnTypename:
			expr = b.arg(f.Name) + "::text"
		case ConnNodes:
			obj, err := b.object(f.Node, t)
			if err != nil {
				return "", err
			}
			expr = fmt.Sprintf(`coalesce(json_agg(%s ORDER BY %s.created_at DESC) FILTER (WHERE %s), '[]'::json)`, obj, t, inPage)
		case ConnEdges:
			var sub []string
			for _, e := range f.Sub {
				var v string
				switch e.Name {
				case "cursor":
					v = cursorExpr(t + ".created_at")
				case "node":
					obj, err := b.object(e.Node, t)
					if err != nil {
						return "", err
					}
					v = obj
				case "__typename":
					v = b.arg(c.Table.typeName()+"Edge") + "::text"
				default:
					return "", fmt.Errorf("db: no edge field %s", e.Name)
				}
				sub = append(sub, b.arg(e.Key)+"::text", v)
			}
			if len(sub) > 2*maxPairs {
				return "", ErrTooWide
			}
			expr = fmt.Sprintf(`coalesce(json_agg(json_build_object(%s) ORDER BY %s.created_at DESC) FILTER (WHERE %s), '[]'::json)`,
				strings.Join(sub, ", "), t, inPage)
		case ConnPageInfo:
			var sub []string
			for _, p := range f.Sub {
				var v string
				switch p.Name {
				case "hasNextPage":
					v = "count(*) > " + limit
				case "hasPreviousPage":
					v = "false"
				case "startCursor":
					v = cursorExpr(fmt.Sprintf("max(%s.created_at) FILTER (WHERE %s)", t, inPage))
				case "endCursor":
					v = cursorExpr(fmt.Sprintf("min(%s.created_at) FILTER (WHERE %s)", t, inPage))
				case "__typename":
					v = b.arg("PageInfo") + "::text"
				default:
					return "", fmt.Errorf("db: no pageInfo field %s", p.Name)
				}
				sub = append(sub, b.arg(p.Key)+"::text", v)
			}
			if len(sub) > 2*maxPairs {
				return "", ErrTooWide
			}
			expr = "json_build_object(" + strings.Join(sub, ", ") + ")"
		}
		parts = append(parts, b.arg(f.Key)+"::text", expr)
	}
	return strings.Join(parts, ", "), nil
}

func (t Table) typeName() string {
	switch t {
	case TableCustomers:
		return "Customer"
	case TableContacts:
		return "Contact"
	case TableOnboardings:
		return "Onboarding"
	}
	return "PhaseTransition"
}

// QueryJSON runs the JSON query for roots in the caller's workspace and
// returns the response's data object as PostgreSQL built it.
func QueryJSON(ctx context.Context, q Queryer, workspaceID string, roots []Root) ([]byte, error) {
	b := &jsonBuilder{}
	b.arg(workspaceID)
	if len(roots) > maxPairs {
		return nil, ErrTooWide
	}
	parts := make([]string, 0, 2*len(roots))
	for _, r := range roots {
		var expr string
		if r.Conn == nil {
			expr = b.arg(r.Typename) + "::text"
		} else {
			var err error
			if expr, err = b.conn(r.Conn, "", ""); err != nil {
				return nil, err
			}
		}
		parts = append(parts, b.arg(r.Key)+"::text", expr)
	}
	// $1 is always referenced, so that PostgreSQL knows its type even when no
	// table is read ({ __typename }).
	query := `SELECT json_build_object(` + strings.Join(parts, ", ") + `)::text WHERE $1::text IS NOT NULL`
	var out []byte
	stmt, err := preparedJSON(ctx, q, query)
	if err != nil {
		return nil, err
	}
	if stmt != nil {
		err = stmt.QueryRowxContext(ctx, b.args...).Scan(&out)
	} else {
		err = q.QueryRowxContext(ctx, query, b.args...).Scan(&out)
	}
	return out, classify(err)
}
