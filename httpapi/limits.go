package httpapi

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The limits every GraphQL operation is checked against before it runs.
//
// Cost model: the cost of an operation bounds the number of objects and values
// it can return, counted in objects. Every field costs something, each alias
// on its own: a scalar or enum field 0.1 (its column comes with the row), an
// object field 1 plus what it selects, a connection 1 + first × what one node
// selects (the node itself counting 1, whether it is reached through nodes or
// through edges { node }: an edge and its node are one object) plus its
// pageInfo, which is not multiplied (it is computed from the same page) and
// costs 1 plus its fields. An onboarding's timeline costs 1 + 10 × one element,
// createApiKey 1,000 (a key is a new rate-limit window; see keys.go), an
// introspection field (__schema, __type) 1. The total is rounded up. Q3 of the
// benchmark (100 customers × (10 contacts × 5 onboardings + 10 onboardings),
// with their fields) costs 10,753, with edges or with nodes, and a 100×100×100
// nesting 1,121,211; see bench/README.md for how the default limit relates to
// measured cost and latency.
const (
	DefaultMaxComplexity = 13_000
	DefaultMaxDepth      = 10
	// introspectionDepth bounds operations that use introspection: GraphiQL's
	// standard introspection query nests ofType deeply (about 14 levels), and
	// its meta types are not covered by the cost model.
	introspectionDepth = 20
	// timelineLength is the expected length of an onboarding's timeline (a
	// transition per phase change; there are seven phases).
	timelineLength = 10
)

// Costs are added up in tenths of an object, so that a value costs something
// without costing as much as a row.
const (
	unitsPerObject    = 10
	unitsPerValue     = 1
	unitsPerNewAPIKey = 1_000 * unitsPerObject
)

// Error codes of operations refused before execution (extensions.code).
const (
	codeComplexity = "COMPLEXITY_LIMIT_EXCEEDED"
	codeDepth      = "DEPTH_LIMIT_EXCEEDED"
)

func init() {
	// Like gqlgen's own validation errors, a refused operation is a 422: nothing ran.
	errcode.RegisterErrorType(codeComplexity, errcode.KindProtocol)
	errcode.RegisterErrorType(codeDepth, errcode.KindProtocol)
}

// page is the size a connection asks for: first (its schema default when
// absent). A negative first costs nothing here: the resolver refuses it.
func page(first any) int {
	var n int64
	switch v := first.(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case int32:
		n = int64(v)
	case float64:
		n = int64(v)
	case json.Number:
		n, _ = v.Int64()
	}
	return int(max(n, 0))
}

// satMul multiplies non-negative costs without overflowing.
func satMul(a, b int) int {
	const maxInt = int(^uint(0) >> 1)
	if a > 0 && b > maxInt/a {
		return maxInt
	}
	return a * b
}

// costWalker computes an operation's cost under the model above. A fragment's
// cost does not depend on where it is spread (a connection multiplies what it
// selects, fragments included), so each is computed once.
type costWalker struct {
	schema    *ast.Schema
	vars      map[string]any
	fragments map[string]setCost
}

// setCost is a selection set's cost in units: perNode is what a connection
// multiplies by its page size, once what it does not (a connection's pageInfo
// and __typename). Outside a connection the two are simply added.
type setCost struct{ perNode, once int }

func (c setCost) sum() int { return satAdd(c.perNode, c.once) }

func (w *costWalker) set(set ast.SelectionSet) setCost {
	var c setCost
	add := func(d setCost) { c = setCost{satAdd(c.perNode, d.perNode), satAdd(c.once, d.once)} }
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			u := w.field(s)
			if s.ObjectDefinition != nil && isConnection(s.ObjectDefinition.Name) && (s.Name == "pageInfo" || s.Name == "__typename") {
				add(setCost{once: u})
			} else {
				add(setCost{perNode: u})
			}
		case *ast.InlineFragment:
			add(w.set(s.SelectionSet))
		case *ast.FragmentSpread:
			f, ok := w.fragments[s.Name]
			if !ok && s.Definition != nil {
				f = w.set(s.Definition.SelectionSet)
				w.fragments[s.Name] = f
			}
			add(f)
		}
	}
	return c
}

func isConnection(typeName string) bool { return strings.HasSuffix(typeName, "Connection") }

// field is the cost of one field selection, in units.
func (w *costWalker) field(f *ast.Field) int {
	if f.Name == "__schema" || f.Name == "__type" {
		return unitsPerObject // served from memory; bounded by the depth and selection limits
	}
	if f.Definition == nil || f.ObjectDefinition == nil {
		return unitsPerValue
	}
	t := w.schema.Types[f.Definition.Type.Name()]
	if t == nil || t.Kind == ast.Scalar || t.Kind == ast.Enum {
		return unitsPerValue
	}
	sub := w.set(f.SelectionSet)
	parent := f.ObjectDefinition.Name
	switch {
	case isConnection(t.Name) && f.Definition.Arguments.ForName("first") != nil:
		n := page(f.ArgumentMap(w.vars)["first"])
		return satAdd(unitsPerObject, satAdd(satMul(n, sub.perNode), sub.once))
	case strings.HasSuffix(parent, "Edge") && f.Name == "node":
		return sub.sum() // the edge counted the object
	case parent == "Onboarding" && f.Name == "timeline":
		return satAdd(unitsPerObject, satMul(timelineLength, satAdd(unitsPerObject, sub.sum())))
	case parent == "Mutation" && f.Name == "createApiKey":
		return satAdd(unitsPerNewAPIKey, sub.sum())
	}
	return satAdd(unitsPerObject, sub.sum())
}

// costOf is the cost of op with variables vars, in objects, rounded up.
func costOf(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) int {
	w := costWalker{schema: schema, vars: vars, fragments: map[string]setCost{}}
	u := w.set(op.SelectionSet).sum()
	return u/unitsPerObject + min(u%unitsPerObject, 1)
}

// costLimit refuses an operation whose cost exceeds limit, before any resolver
// runs, with the cost and the limit in the error's extensions.
type costLimit struct {
	limit int
	es    graphql.ExecutableSchema
}

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = &costLimit{}

func (c *costLimit) ExtensionName() string { return "CostLimit" }

func (c *costLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *costLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil // gqlgen reports the missing operation itself
	}
	cost := operationCost(ctx, c.es, oc)
	if cost <= c.limit {
		return nil
	}
	return &gqlerror.Error{
		Message: "The query is too complex: its cost is " + strconv.Itoa(cost) + " and the limit is " + strconv.Itoa(c.limit) +
			". Ask for smaller pages (first) or fewer nested connections.",
		Extensions: map[string]any{"code": codeComplexity, "cost": cost, "limit": c.limit},
	}
}

// costStats names the operation's cost among the operation's stats.
const costStats = "OperationCost"

// operationCost is the cost of oc's operation under the model above, computed
// once per operation: the limit checks it and the rate limiter charges it.
func operationCost(ctx context.Context, es graphql.ExecutableSchema, oc *graphql.OperationContext) int {
	if c, ok := oc.Stats.GetExtension(costStats).(int); ok {
		return c
	}
	c := costOf(es.Schema(), oc.Operation, oc.Variables)
	oc.Stats.SetExtension(costStats, c)
	return c
}

// depthLimit refuses operations nested deeper than limit fields (introspection
// operations: deeper than introspectionDepth).
type depthLimit struct{ limit int }

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = depthLimit{}

func (d depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (d depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	depth, meta := selectionDepth(oc.Operation.SelectionSet)
	limit := d.limit
	if meta {
		limit = max(limit, introspectionDepth)
	}
	if depth <= limit {
		return nil
	}
	return &gqlerror.Error{
		Message:    "The query is nested too deeply: " + strconv.Itoa(depth) + " levels, the limit is " + strconv.Itoa(limit) + ".",
		Extensions: map[string]any{"code": codeDepth, "depth": depth, "limit": limit},
	}
}

// depthWalker measures nesting. Fragment results are memoized: a fragment
// spread many times (or fragments spreading each other) is walked once, so the
// walk stays linear in the document's size.
type depthWalker struct {
	fragments map[string][2]int // name → {depth, meta (0 or 1)}
}

// selectionDepth returns the deepest chain of fields in set (fragments count
// as the fields they contain; validation has already refused fragment cycles)
// and whether set uses introspection (__schema or __type).
func selectionDepth(set ast.SelectionSet) (int, bool) {
	w := depthWalker{fragments: map[string][2]int{}}
	return w.walk(set)
}

func (w *depthWalker) walk(set ast.SelectionSet) (depth int, meta bool) {
	for _, s := range set {
		var d int
		var m bool
		switch s := s.(type) {
		case *ast.Field:
			d, m = w.walk(s.SelectionSet)
			d++
			m = m || s.Name == "__schema" || s.Name == "__type"
		case *ast.InlineFragment:
			d, m = w.walk(s.SelectionSet)
		case *ast.FragmentSpread:
			if r, ok := w.fragments[s.Name]; ok {
				d, m = r[0], r[1] == 1
			} else if s.Definition != nil {
				d, m = w.walk(s.Definition.SelectionSet)
				r := [2]int{d, 0}
				if m {
					r[1] = 1
				}
				w.fragments[s.Name] = r
			}
		}
		depth, meta = max(depth, d), meta || m
	}
	return depth, meta
}
