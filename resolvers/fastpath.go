package resolvers

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"pivotal/auth"
	"pivotal/db"
)

// The fast path answers a read-only operation over customers, contacts and
// onboardings with one SQL statement that builds the whole response in
// PostgreSQL (db.QueryJSON), instead of resolving thousands of fields one by
// one. It takes only operations whose every field it can build exactly as the
// executor would; for anything else (mutations, lookups that can fail, errors
// to report, fields it does not know) Plan says no and the executor runs.
// Fields are collected with gqlgen's own CollectFields, so fragments, aliases,
// @skip/@include and field merging behave as in the executor.

// errNoFastPath means the operation is the executor's.
var errNoFastPath = errors.New("resolvers: not for the fast path")

// FastPath returns the operation's data object built by one statement, or
// ok=false when the operation must go through the executor.
func (r *Resolver) FastPath(ctx context.Context) (data json.RawMessage, ok bool) {
	if !graphql.HasOperationContext(ctx) {
		return nil, false
	}
	oc := graphql.GetOperationContext(ctx)
	who := auth.FromContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query || who == nil {
		return nil, false
	}
	p := &planner{oc: oc}
	roots, err := p.roots()
	if err != nil {
		return nil, false
	}
	out, err := db.QueryJSON(ctx, r.DB, who.WorkspaceID, roots)
	if err != nil {
		// The executor meets the same trouble and reports it properly; a
		// failure of the statement itself is worth an operator's look.
		if k := db.KindOf(err); k != db.Unavailable && k != db.Canceled {
			r.Log.WarnContext(ctx, "fast path failed; using the executor", "err", err.Error())
		}
		return nil, false
	}
	if needsNormalizing(out) {
		if p.metadata {
			// Metadata is embedded verbatim, escapes and all, and cannot be
			// told apart from PostgreSQL's own escapes here: rare enough to
			// leave to the executor.
			return nil, false
		}
		out = normalizeJSONEscapes(out)
	}
	return out, true
}

type planner struct {
	oc *graphql.OperationContext
	// metadata is set when a metadata field is built.
	metadata bool
}

func (p *planner) collect(sel ast.SelectionSet, types ...string) []graphql.CollectedField {
	return graphql.CollectFields(p.oc, sel, types)
}

func (p *planner) roots() ([]db.Root, error) {
	var roots []db.Root
	for _, f := range p.collect(p.oc.Operation.SelectionSet, "Query") {
		args := f.ArgumentMap(p.oc.Variables)
		switch f.Name {
		case "__typename":
			roots = append(roots, db.Root{Key: f.Alias, Typename: "Query"})
		case "customers":
			c, err := p.conn(f, args, db.TableCustomers, 20)
			if err != nil {
				return nil, err
			}
			if filter, ok := args["filter"].(map[string]any); ok {
				if c.Status, err = enumArg(filter, "status"); err != nil {
					return nil, err
				}
				if c.Slug, err = stringArg(filter, "slug"); err != nil {
					return nil, err
				}
			}
			roots = append(roots, db.Root{Key: f.Alias, Conn: c})
		case "onboardings":
			c, err := p.conn(f, args, db.TableOnboardings, 25)
			if err != nil {
				return nil, err
			}
			if filter, ok := args["filter"].(map[string]any); ok {
				if v, present := filter["customerId"]; present && v != nil {
					return nil, errNoFastPath // a customer that may not exist: the executor reports it
				}
				if err := onboardingFilter(c, filter); err != nil {
					return nil, err
				}
			}
			roots = append(roots, db.Root{Key: f.Alias, Conn: c})
		default:
			return nil, errNoFastPath
		}
	}
	return roots, nil
}

// conn plans a connection field of table with its page arguments.
func (p *planner) conn(f graphql.CollectedField, args map[string]any, table db.Table, def int) (*db.Conn, error) {
	first, ok := intArg(args, "first", def)
	if !ok || first < 1 || first > MaxPage {
		return nil, errNoFastPath
	}
	c := &db.Conn{Table: table, Limit: first}
	if v, present := args["after"]; present && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, errNoFastPath
		}
		t, err := decodeCursor(s)
		if err != nil {
			return nil, errNoFastPath
		}
		c.Before = &t
	}
	typ := typeName(table)
	for _, cf := range p.collect(f.Selections, typ+"Connection") {
		switch cf.Name {
		case "__typename":
			c.Fields = append(c.Fields, db.ConnField{Key: cf.Alias, Kind: db.ConnTypename, Name: typ + "Connection"})
		case "nodes":
			node, err := p.object(cf.Selections, table)
			if err != nil {
				return nil, err
			}
			c.Fields = append(c.Fields, db.ConnField{Key: cf.Alias, Kind: db.ConnNodes, Node: node})
		case "edges":
			edge := db.ConnField{Key: cf.Alias, Kind: db.ConnEdges}
			for _, ef := range p.collect(cf.Selections, typ+"Edge") {
				switch ef.Name {
				case "cursor", "__typename":
					edge.Sub = append(edge.Sub, db.ConnField{Key: ef.Alias, Name: ef.Name})
				case "node":
					node, err := p.object(ef.Selections, table)
					if err != nil {
						return nil, err
					}
					edge.Sub = append(edge.Sub, db.ConnField{Key: ef.Alias, Name: "node", Node: node})
				default:
					return nil, errNoFastPath
				}
			}
			c.Fields = append(c.Fields, edge)
		case "pageInfo":
			pi := db.ConnField{Key: cf.Alias, Kind: db.ConnPageInfo}
			for _, pf := range p.collect(cf.Selections, "PageInfo") {
				switch pf.Name {
				case "hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename":
					pi.Sub = append(pi.Sub, db.ConnField{Key: pf.Alias, Name: pf.Name})
				default:
					return nil, errNoFastPath
				}
			}
			c.Fields = append(c.Fields, pi)
		default:
			return nil, errNoFastPath
		}
	}
	return c, nil
}

// object plans the selection of one row of table.
func (p *planner) object(sel ast.SelectionSet, table db.Table) (*db.Obj, error) {
	typ := typeName(table)
	types := []string{typ}
	if table != db.TablePhaseTransitions {
		types = append(types, "Node")
	}
	o := &db.Obj{Table: table}
	for _, f := range p.collect(sel, types...) {
		field := db.Field{Key: f.Alias}
		switch {
		case f.Name == "__typename":
			field.Kind, field.Name = db.Typename, typ
		case db.HasColumn(table, f.Name):
			field.Kind, field.Name = db.Column, f.Name
			p.metadata = p.metadata || f.Name == "metadata"
		case f.Name == "customer" && (table == db.TableContacts || table == db.TableOnboardings):
			obj, err := p.object(f.Selections, db.TableCustomers)
			if err != nil {
				return nil, err
			}
			field.Kind, field.Obj = db.Parent, obj
		case f.Name == "primaryContact" && table == db.TableCustomers:
			obj, err := p.object(f.Selections, db.TableContacts)
			if err != nil {
				return nil, err
			}
			field.Kind, field.Obj = db.Primary, obj
		case f.Name == "timeline" && table == db.TableOnboardings:
			obj, err := p.object(f.Selections, db.TablePhaseTransitions)
			if err != nil {
				return nil, err
			}
			field.Kind, field.Obj = db.Timeline, obj
		case f.Name == "contacts" && table == db.TableCustomers:
			c, err := p.conn(f, f.ArgumentMap(p.oc.Variables), db.TableContacts, 20)
			if err != nil {
				return nil, err
			}
			field.Kind, field.Conn = db.Connection, c
		case f.Name == "onboardings" && (table == db.TableCustomers || table == db.TableContacts):
			args := f.ArgumentMap(p.oc.Variables)
			c, err := p.conn(f, args, db.TableOnboardings, 25)
			if err != nil {
				return nil, err
			}
			if filter, ok := args["filter"].(map[string]any); ok {
				if err := onboardingFilter(c, filter); err != nil {
					return nil, err
				}
			}
			field.Kind, field.Conn = db.Connection, c
		default:
			return nil, errNoFastPath
		}
		o.Fields = append(o.Fields, field)
	}
	return o, nil
}

func onboardingFilter(c *db.Conn, filter map[string]any) error {
	var err error
	if c.Phase, err = enumArg(filter, "phase"); err != nil {
		return err
	}
	c.State, err = enumArg(filter, "state")
	return err
}

func typeName(t db.Table) string {
	switch t {
	case db.TableCustomers:
		return "Customer"
	case db.TableContacts:
		return "Contact"
	case db.TableOnboardings:
		return "Onboarding"
	}
	return "PhaseTransition"
}

// intArg reads an Int argument (defaults already applied by ArgumentMap).
func intArg(args map[string]any, name string, def int) (int, bool) {
	v, present := args[name]
	if !present || v == nil {
		return def, !present
	}
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), n == int64(int(n))
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), float64(int(n)) == n
	}
	return 0, false
}

// enumArg reads an optional enum of an input object in the store's spelling.
func enumArg(m map[string]any, name string) (*string, error) {
	v, present := m[name]
	if !present || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		if sv, isStringer := v.(interface{ String() string }); isStringer {
			s, ok = sv.String(), true
		}
	}
	if !ok {
		return nil, errNoFastPath
	}
	s = strings.ToLower(s)
	return &s, nil
}

func stringArg(m map[string]any, name string) (*string, error) {
	v, present := m[name]
	if !present || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, errNoFastPath
	}
	return &s, nil
}

// normalizeJSONEscapes rewrites PostgreSQL's string escapes the way gqlgen
// writes them (\u0008 for \b, \u000C for \f, upper-case hex), so both paths
// answer byte for byte alike.
func normalizeJSONEscapes(b []byte) []byte {
	if !needsNormalizing(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
			}
			out = append(out, c)
		case c == '"':
			inString = false
			out = append(out, c)
		case c == '\\' && i+1 < len(b):
			next := b[i+1]
			switch next {
			case 'b':
				out = append(out, `\u0008`...)
			case 'f':
				out = append(out, `\u000C`...)
			case 'u':
				out = append(out, '\\', 'u')
				for j := i + 2; j < i+6 && j < len(b); j++ {
					h := b[j]
					if h >= 'a' && h <= 'f' {
						h -= 'a' - 'A'
					}
					out = append(out, h)
				}
				i += 4
			default:
				out = append(out, c, next)
			}
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

func needsNormalizing(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\\' {
			switch b[i+1] {
			case 'b', 'f', 'u':
				return true
			}
			i++
		}
	}
	return false
}
