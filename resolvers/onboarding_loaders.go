package resolvers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"pivotal/db"
	"pivotal/graph/model"
)

// defaultNestedOnboardings is the schema's default `first` of
// Customer.onboardings and Contact.onboardings.
const defaultNestedOnboardings = 25

// CustomerOnboardings serves Customer.onboardings and Contact.onboardings (a
// contact takes part in every onboarding of its customer). Both share one
// per-request loader keyed by customer id and named only by filter and after:
// it fetches, per customer, as many rows as the largest `first` of any nested
// onboardings field of the operation asks for, so a contact's onboardings are
// served from what its customer's level already loaded, without a statement of
// their own. Each field then cuts its own page from the shared list.
func (r *Resolver) CustomerOnboardings(ctx context.Context, customerID string, first *int, after *string,
	filter *model.CustomerOnboardingFilter) (*model.OnboardingConnection, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	a, err := ListArgsFromGraphQL(first, after, defaultNestedOnboardings)
	if err != nil {
		return nil, err
	}
	var f db.OnboardingFilter
	if filter != nil {
		f.State, f.Phase = ptrEnumToREST(filter.State), ptrEnumToREST(filter.Phase)
	}
	name := fmt.Sprintf("onboardingsByCustomer|%s|%s|%s", derefOr(f.State, ""), derefOr(f.Phase, ""), derefOr(after, ""))
	limit := nestedOnboardingsLimit(ctx)
	if limit < a.Limit {
		// Outside an operation (or a field the walk could not see): a loader of
		// this page size alone.
		limit = a.Limit
		name += fmt.Sprintf("|%d", limit)
	}
	l := loaderFor(ctx, name, func(ctx context.Context, ids []string) ([][]db.Onboarding, []error) {
		out := make([][]db.Onboarding, len(ids))
		errs := make([]error, len(ids))
		rows, err := db.FindOnboardingsForCustomers(ctx, r.DB, who.WorkspaceID, ids, f, a.Before, limit+1)
		if err != nil {
			return batchFailed(out, err)
		}
		byCustomer := make(map[string][]db.Onboarding, len(ids))
		noted := make([]string, len(rows))
		for i, o := range rows {
			byCustomer[o.CustomerID] = append(byCustomer[o.CustomerID], o)
			noted[i] = o.ID
		}
		noteOnboardings(ctx, noted)
		for i, id := range ids {
			out[i] = byCustomer[id]
		}
		return out, errs
	})
	rows, err := loadWithSiblings(ctx, l, name, customerID, customerKey)
	if err != nil {
		return nil, err
	}
	return OnboardingConnection(onboardingPage(rows, a.Limit)), nil
}

// nestedOnboardingsLimit is the largest `first` (default 25, at most MaxPage)
// of the operation's Customer.onboardings and Contact.onboardings fields,
// fragments included, computed once per request; 0 outside an operation.
func nestedOnboardingsLimit(ctx context.Context) int {
	if !graphql.HasOperationContext(ctx) {
		return 0
	}
	return requestMemo(ctx, "nestedOnboardingsLimit", func() int {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation == nil {
			return 0
		}
		max := 0
		seen := map[string]bool{}
		var walk func(ast.SelectionSet)
		walk = func(ss ast.SelectionSet) {
			for _, s := range ss {
				switch s := s.(type) {
				case *ast.Field:
					if s.Name == "onboardings" && (s.ObjectDefinition == nil ||
						s.ObjectDefinition.Name == "Customer" || s.ObjectDefinition.Name == "Contact") {
						if n := firstArgument(s, oc.Variables); n > max {
							max = n
						}
					}
					walk(s.SelectionSet)
				case *ast.InlineFragment:
					walk(s.SelectionSet)
				case *ast.FragmentSpread:
					if seen[s.Name] {
						continue
					}
					seen[s.Name] = true
					def := s.Definition
					if def == nil && oc.Doc != nil {
						def = oc.Doc.Fragments.ForName(s.Name)
					}
					if def != nil {
						walk(def.SelectionSet)
					}
				}
			}
		}
		walk(oc.Operation.SelectionSet)
		return max
	})
}

// firstArgument is the value of a field's `first` argument (variables
// resolved), the default when absent or null, clamped to [1, MaxPage]: an
// out-of-range value fails that field's own validation anyway.
func firstArgument(f *ast.Field, vars map[string]any) int {
	n := defaultNestedOnboardings
	if arg := f.Arguments.ForName("first"); arg != nil && arg.Value != nil {
		v, err := arg.Value.Value(vars)
		if err == nil && v != nil {
			switch x := v.(type) {
			case int64:
				n = clampInt64(x)
			case int:
				n = clampInt64(int64(x))
			case float64:
				if x == math.Trunc(x) && !math.IsInf(x, 0) {
					n = clampInt64(int64(math.Max(math.Min(x, MaxPage+1), -1)))
				}
			case json.Number:
				if i, err := x.Int64(); err == nil {
					n = clampInt64(i)
				}
			}
		}
	}
	return n
}

func clampInt64(x int64) int {
	if x < 1 {
		return 1
	}
	if x > MaxPage {
		return MaxPage
	}
	return int(x)
}

// requestMemo computes a per-request value once, kept beside the request's
// loaders; outside a request it just computes it.
func requestMemo[T any](ctx context.Context, name string, compute func() T) T {
	ls, _ := ctx.Value(loadersKey{}).(*Loaders)
	if ls == nil {
		return compute()
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	key := "memo|" + name
	if v, ok := ls.m[key].(T); ok {
		return v
	}
	v := compute()
	ls.m[key] = v
	return v
}

// Timeline returns the phase changes of an onboarding, newest first, batching
// every onboarding of the request into one statement.
func (r *Resolver) Timeline(ctx context.Context, onboardingID string) ([]model.PhaseTransition, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	l := loaderFor(ctx, "timeline", func(ctx context.Context, ids []string) ([][]model.PhaseTransition, []error) {
		out := make([][]model.PhaseTransition, len(ids))
		errs := make([]error, len(ids))
		rows, err := db.FindTimelines(ctx, r.DB, who.WorkspaceID, ids)
		if err != nil {
			return batchFailed(out, err)
		}
		byOnboarding := make(map[string][]model.PhaseTransition, len(ids))
		for i := range rows {
			byOnboarding[rows[i].OnboardingID] = append(byOnboarding[rows[i].OnboardingID], toPhaseTransition(&rows[i]))
		}
		for i, id := range ids {
			out[i] = byOnboarding[id]
			if out[i] == nil {
				out[i] = []model.PhaseTransition{}
			}
		}
		return out, errs
	})
	return loadPrimed(ctx, l, onboardingID, func() []string { return takeNotedOnboardings(ctx) })
}

// notedOnboardings are the onboardings a request has listed and whose
// timelines no loader has been offered yet.
type notedOnboardings struct{ ids []string }

// noteOnboardings remembers listed onboardings, so that the first timeline
// asked for loads those of the whole level in one statement (the lists that
// enclose a timeline hold only one customer's onboardings).
func noteOnboardings(ctx context.Context, ids []string) {
	ls, _ := ctx.Value(loadersKey{}).(*Loaders)
	if ls == nil || len(ids) == 0 {
		return
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n, _ := ls.m["notes|onboardings"].(*notedOnboardings)
	if n == nil {
		n = &notedOnboardings{}
		ls.m["notes|onboardings"] = n
	}
	n.ids = append(n.ids, ids...)
}

// takeNotedOnboardings returns and forgets the noted onboardings.
func takeNotedOnboardings(ctx context.Context) []string {
	ls, _ := ctx.Value(loadersKey{}).(*Loaders)
	if ls == nil {
		return nil
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n, _ := ls.m["notes|onboardings"].(*notedOnboardings)
	if n == nil {
		return nil
	}
	ids := n.ids
	n.ids = nil
	return ids
}
