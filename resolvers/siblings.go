package resolvers

import (
	"context"
	"fmt"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"pivotal/graph/model"
)

// A loader batches the keys that arrive within its wait. Under load the
// executor can spread one list level's field resolvers over more than that
// wait, splitting the level into several statements. siblingKeys closes the
// gap: the first resolver of a level hands the loader the keys of the whole
// level at once, read from the lists that enclose the field (their values are
// already resolved when a child field runs), so a level costs one statement
// however the goroutines are scheduled.

// loadWithSiblings loads key through l after handing l the sibling keys not
// yet offered (siblingKeys).
func loadWithSiblings[V any](ctx context.Context, l *dataloadgen.Loader[string, V], loader, key string,
	keyOf func(elem any) (string, bool)) (V, error) {
	return loadPrimed(ctx, l, key, func() []string { return siblingKeys(ctx, loader, keyOf) })
}

// loadPrimed loads key through l after enqueueing the keys prime returns (the
// level's keys that no caller has enqueued yet). Taking and enqueueing happen
// under one lock of the request: otherwise a resolver that finds nothing left
// to prime could Load, and so start the batch's wait, before the resolver that
// took the keys had enqueued them; on a slow machine the wait can end in
// between, and the level splits into two statements.
func loadPrimed[V any](ctx context.Context, l *dataloadgen.Loader[string, V], key string, prime func() []string) (V, error) {
	if ls, _ := ctx.Value(loadersKey{}).(*Loaders); ls != nil {
		ls.priming.Lock()
		if keys := prime(); len(keys) > 0 {
			l.LoadAllThunk(ctx, keys)
		}
		ls.priming.Unlock()
	}
	return l.Load(ctx, key)
}

// siblingKeys returns the keys (as key extracts them from list elements) of
// every list enclosing the field being resolved that has not yet been
// offered to loader in this request; nil when all were. Outside a request it
// returns nil.
func siblingKeys(ctx context.Context, loader string, key func(elem any) (string, bool)) []string {
	ls, _ := ctx.Value(loadersKey{}).(*Loaders)
	if ls == nil {
		return nil
	}
	var keys []string
	seen := map[string]bool{}
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Result == nil {
			continue
		}
		v := reflect.ValueOf(fc.Result)
		if v.Kind() != reflect.Slice || v.Len() == 0 {
			continue
		}
		if !ls.offer(fmt.Sprintf("siblings|%s|%p", loader, fc)) {
			continue
		}
		for i := 0; i < v.Len(); i++ {
			if k, ok := key(v.Index(i).Addr().Interface()); ok && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// offer reports whether name is new to this request, and records it.
func (l *Loaders) offer(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.m[name]; ok {
		return false
	}
	l.m[name] = struct{}{}
	return true
}

// customerKey is the customer id an element of an enclosing list stands for:
// a customer's own id, or the customer of a contact or an onboarding.
func customerKey(elem any) (string, bool) {
	switch e := elem.(type) {
	case *model.Customer:
		return e.ID, true
	case *model.CustomerEdge:
		if e.Node != nil {
			return e.Node.ID, true
		}
	case *model.Contact:
		return e.CustomerID, true
	case *model.ContactEdge:
		if e.Node != nil {
			return e.Node.CustomerID, true
		}
	case *model.Onboarding:
		return e.CustomerID, true
	case *model.OnboardingEdge:
		if e.Node != nil {
			return e.Node.CustomerID, true
		}
	}
	return "", false
}
