package httpapi

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"pivotal/graph"
	"pivotal/graph/model"
)

// The limits every GraphQL operation is checked against before it runs.
//
// Cost model: the cost of an operation bounds the number of objects it can
// return. A scalar or enum field costs 0 (its column comes with the row), an
// object field 1 plus what it selects, a connection 1 + first × what one node
// selects (the node itself counting 1), an unpaged list 1 + its expected length
// × one element. pageInfo is free: it is computed from the same page. Q3 of the
// benchmark (100 customers × (10 contacts × 5 onboardings + 10 onboardings))
// costs 8,301 and a 100×100×100 nesting 1,020,201; see bench/README.md for how
// the default limit relates to measured cost and latency.
const (
	DefaultMaxComplexity = 10_000
	DefaultMaxDepth      = 10
	// introspectionDepth bounds operations that use introspection: GraphiQL's
	// standard introspection query nests ofType deeply (about 14 levels), and
	// its meta types are not covered by the cost model.
	introspectionDepth = 20
	// timelineLength is the expected length of an onboarding's timeline (a
	// transition per phase change; there are seven phases).
	timelineLength = 10
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

// page returns the size a connection asks for: first, or the schema's default.
// A negative first costs nothing here: the resolver refuses it.
func page(first *int, def int) int {
	if first == nil {
		return def
	}
	return max(*first, 0)
}

// connCost is 1 + n × per, saturating instead of overflowing.
func connCost(n, per int) int {
	const maxInt = int(^uint(0) >> 1)
	if per > 0 && n > (maxInt-1)/per {
		return maxInt
	}
	return 1 + n*per
}

// complexityRoot gives the multiplying fields their costs; every other field
// keeps gqlgen's default (1 + child for objects, the fixed scalar value 0).
func complexityRoot() graph.ComplexityRoot {
	var c graph.ComplexityRoot
	c.Query.Customers = func(child int, first *int, _ *string, _ *model.CustomerFilter) int {
		return connCost(page(first, 20), child)
	}
	c.Query.Onboardings = func(child int, first *int, _ *string, _ *model.OnboardingFilter) int {
		return connCost(page(first, 25), child)
	}
	c.Customer.Contacts = func(child int, first *int, _ *string) int {
		return connCost(page(first, 20), child)
	}
	c.Customer.Onboardings = func(child int, first *int, _ *string, _ *model.CustomerOnboardingFilter) int {
		return connCost(page(first, 25), child)
	}
	c.Contact.Onboardings = func(child int, first *int, _ *string, _ *model.CustomerOnboardingFilter) int {
		return connCost(page(first, 25), child)
	}
	// Elements of a plain list are not counted in child (their fields are), so
	// each element adds its own 1.
	c.Onboarding.Timeline = func(child int) int { return connCost(timelineLength, child+1) }
	c.Query.WebhookEndpoints = func(child int, first *int, _ *string) int { return connCost(page(first, 20), child) }
	c.Query.WebhookMessages = func(child int, _ string, _ *model.WebhookMessageStatus, first *int, _ *string) int {
		return connCost(page(first, 20), child)
	}
	c.Query.Events = func(child int, first *int, _ *string, _ []string) int { return connCost(page(first, 20), child) }
	return c
}

// complexityOptions make scalars free and pageInfo free.
var complexityOptions = []complexity.Option{
	complexity.WithFixedScalarValue(0),
	complexity.WithIgnoreFields(map[string]struct{}{
		"CustomerConnection.pageInfo":        {},
		"ContactConnection.pageInfo":         {},
		"OnboardingConnection.pageInfo":      {},
		"WebhookEndpointConnection.pageInfo": {},
		"WebhookMessageConnection.pageInfo":  {},
		"EventConnection.pageInfo":           {},
	}),
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
	c := complexity.Calculate(ctx, es, oc.Operation, oc.Variables, complexityOptions...)
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
