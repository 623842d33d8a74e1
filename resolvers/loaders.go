package resolvers

import (
	"context"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"
)

// Loaders holds one request's batched loaders. A loader is named by what it
// loads and by the arguments shared by its whole batch (e.g. a nested
// connection's first/after/filter), so that every parent asking for the same
// page shape joins one SQL statement.
type Loaders struct {
	mu sync.Mutex
	m  map[string]any
	// priming serializes loadPrimed's take-and-enqueue (siblings.go).
	priming sync.Mutex
	// observe is the resolver's Hooks.LoaderBatch (nil: not recorded).
	observe func(loader string, keys int)
}

type loadersKey struct{}

// WithLoaders returns ctx with a fresh set of loaders for one request.
func (r *Resolver) WithLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadersKey{}, r.newLoaders())
}

// newLoaders returns an empty set of loaders whose batch sizes are reported
// to r.Hooks.LoaderBatch.
func (r *Resolver) newLoaders() *Loaders {
	return &Loaders{m: map[string]any{}, observe: r.Hooks.LoaderBatch}
}

// loaderWait is how long a loader waits for more keys before it fetches. The
// executor resolves sibling fields concurrently, so a short wait gathers a
// whole list level into one batch.
const loaderWait = 500 * time.Microsecond

// loaderFor returns the request's loader called name, creating it with fetch
// on first use. Outside a request (no Loaders in ctx) it returns a loader that
// serves just this call.
func loaderFor[K comparable, V any](ctx context.Context, name string,
	fetch func(ctx context.Context, keys []K) ([]V, []error)) *dataloadgen.Loader[K, V] {
	ls, _ := ctx.Value(loadersKey{}).(*Loaders)
	if slot, ok := ctx.Value(liveLoadersKey{}).(*liveLoaders); ok && ls == nil {
		ls = slot.get()
	}
	if ls == nil {
		return dataloadgen.NewLoader(fetch, dataloadgen.WithWait(loaderWait))
	}
	if observe := ls.observe; observe != nil {
		inner := fetch
		fetch = func(ctx context.Context, keys []K) ([]V, []error) {
			observe(name, len(keys))
			return inner(ctx, keys)
		}
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l, ok := ls.m[name].(*dataloadgen.Loader[K, V]); ok {
		return l
	}
	l := dataloadgen.NewLoader(fetch, dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(1000))
	ls.m[name] = l
	return l
}

// batchFailed is a loader's answer when its one statement failed: every key
// of the batch gets the error.
func batchFailed[V any](out []V, err error) ([]V, []error) {
	errs := make([]error, len(out))
	for i := range errs {
		errs[i] = err
	}
	return out, errs
}
