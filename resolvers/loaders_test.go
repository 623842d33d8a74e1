package resolvers

import (
	"context"
	"sync"
	"testing"

	"pivotal/metrics"
)

// Every batched fetch reports its size to metrics (through Hooks.LoaderBatch), labeled by the loader's
// name without its per-request arguments.
func TestLoaderBatchSizesAreObserved(t *testing.T) {
	r := &Resolver{Hooks: Hooks{LoaderBatch: metrics.ObserveBatch}}
	ctx := r.WithLoaders(context.Background())
	name := "batchProbe:first=5"
	fetch := func(ctx context.Context, keys []int) ([]int, []error) {
		out := make([]int, len(keys))
		for i, k := range keys {
			out[i] = k * 2
		}
		return out, make([]error, len(keys))
	}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := loaderFor(ctx, name, fetch).Load(ctx, i); err != nil || v != i*2 {
				t.Errorf("Load(%d) = %d, %v", i, v, err)
			}
		}()
	}
	wg.Wait()
	count, sum := batchStats(t, "batchProbe")
	if sum != 3 || count < 1 || count > 3 {
		t.Errorf("loader batches: %d fetches carrying %v keys, want 3 keys in 1–3 fetches", count, sum)
	}
}

func batchStats(t *testing.T, loader string) (uint64, float64) {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "pivotal_loader_batch_size" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "loader" && l.GetValue() == loader {
					return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
				}
			}
		}
	}
	t.Fatalf("no pivotal_loader_batch_size{loader=%q}", loader)
	return 0, 0
}
