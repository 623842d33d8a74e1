package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pivotal/ratelimit/redistest"
)

// testStore runs the Store contract against s: exact remaining counts, the
// refusal with its retry delay, costs, independent keys, and atomicity under
// concurrency.
func testStore(t *testing.T, s Store) {
	ctx := context.Background()
	start := time.Now()
	for i := 1; i <= 5; i++ {
		r, err := s.Take(ctx, "a", 5, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Allowed || r.Remaining != 5-i || r.Limit != 5 || r.Cost != 1 {
			t.Fatalf("take %d: %+v", i, r)
		}
		if r.Reset.Before(start.Add(Window-time.Second)) || r.Reset.After(time.Now().Add(Window+time.Second)) {
			t.Fatalf("take %d: reset %v not a window after the first request (%v)", i, r.Reset, start)
		}
	}
	r, err := s.Take(ctx, "a", 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Allowed || r.Remaining != 0 || r.RetryAfter <= Window-5*time.Second || r.RetryAfter > Window {
		t.Fatalf("6th take: %+v", r)
	}

	// Costs: 3 then 3 does not fit into 5; 2 still does.
	if r, _ := s.Take(ctx, "b", 5, 3); !r.Allowed || r.Remaining != 2 {
		t.Fatalf("cost 3: %+v", r)
	}
	if r, _ := s.Take(ctx, "b", 5, 3); r.Allowed || r.Remaining != 2 || r.Cost != 3 {
		t.Fatalf("cost 3 again: %+v", r)
	}
	if r, _ := s.Take(ctx, "b", 5, 2); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("cost 2: %+v", r)
	}

	// 50 concurrent takes of a budget of 20: exactly 20 pass.
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Take(ctx, "c", 20, 1)
			if err != nil {
				t.Error(err)
			}
			if r.Allowed {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 20 {
		t.Fatalf("%d of 50 concurrent takes passed a budget of 20", ok.Load())
	}
}

func TestMemoryStore(t *testing.T) { testStore(t, NewMemory()) }

func TestRedisStore(t *testing.T) {
	srv := redistest.Start(t)
	r, err := NewRedis(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	testStore(t, r)
	// Two clients (two instances) share one budget.
	r2, _ := NewRedis(srv.URL)
	defer r2.Close()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		r.Take(ctx, "shared", 4, 1)
	}
	if res, _ := r2.Take(ctx, "shared", 4, 1); !res.Allowed || res.Remaining != 0 {
		t.Fatalf("second client: %+v", res)
	}
	if res, _ := r.Take(ctx, "shared", 4, 1); res.Allowed {
		t.Fatalf("budget spent twice: %+v", res)
	}
}

// TestMemorySliding moves a fake clock: a request counts for exactly one
// window after it was made.
func TestMemorySliding(t *testing.T) {
	m := NewMemory()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	m.now = func() time.Time { return now }
	ctx := context.Background()
	take := func(cost int) Result {
		r, err := m.Take(ctx, "k", 5, cost)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := take(3); !r.Allowed || r.Remaining != 2 || !r.Reset.Equal(t0.Add(Window)) {
		t.Fatalf("t0: %+v", r)
	}
	now = t0.Add(30 * time.Second)
	if r := take(2); !r.Allowed || r.Remaining != 0 || !r.Reset.Equal(t0.Add(Window)) {
		t.Fatalf("t0+30s: %+v", r)
	}
	now = t0.Add(40 * time.Second)
	if r := take(1); r.Allowed || r.RetryAfter != 20*time.Second {
		t.Fatalf("t0+40s: %+v", r)
	}
	// Needing 3 points means waiting for both earlier requests.
	if r := take(5); r.Allowed || r.RetryAfter != 50*time.Second {
		t.Fatalf("t0+40s cost 5: %+v", r)
	}
	now = t0.Add(Window) // the first request leaves the window exactly now
	if r := take(1); !r.Allowed || r.Remaining != 2 || !r.Reset.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("t0+60s: %+v", r)
	}
	// Idle keys are forgotten.
	now = t0.Add(10 * Window)
	take(1)
	if len(m.logs) != 1 || len(m.logs["k"]) != 1 {
		t.Fatalf("logs after sweep: %v", m.logs)
	}
	if r := (Result{RetryAfter: 11200 * time.Millisecond}); r.RetryAfterSeconds() != 12 || r.Message() != "Rate limit exceeded. Retry after 12 seconds." {
		t.Fatalf("message %q", r.Message())
	}
}
