package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"pivotal/auth"
)

func TestLimits(t *testing.T) {
	cases := []struct {
		tier  string
		live  bool
		limit int
		ok    bool
	}{
		{"standard", true, 60, true},
		{"standard", false, 30, true},
		{"paid", true, 600, true},
		{"paid", false, 600, true},
		{"unlimited", true, 0, false},
		{"unlimited", false, 0, false},
	}
	for _, c := range cases {
		if l, ok := Limit(c.tier, c.live); l != c.limit || ok != c.ok {
			t.Errorf("Limit(%q, %v) = %d, %v; want %d, %v", c.tier, c.live, l, ok, c.limit, c.ok)
		}
	}
}

func TestLimiterCharge(t *testing.T) {
	l := NewLimiter(NewMemory(), nil)
	ctx := context.Background()
	test := &auth.Identity{KeyID: "k1", Tier: "standard", Livemode: false}
	if r := l.Charge(ctx, test, 0); r == nil || r.Cost != 1 || r.Limit != 30 || r.Remaining != 29 {
		t.Fatalf("cost 0 charges 1: %+v", r)
	}
	// A charge larger than the window is capped to the window.
	big := &auth.Identity{KeyID: "k2", Tier: "standard", Livemode: true}
	if r := l.Charge(ctx, big, 1000); r == nil || !r.Allowed || r.Cost != 60 || r.Remaining != 0 {
		t.Fatalf("capped charge: %+v", r)
	}
	if r := l.Charge(ctx, &auth.Identity{KeyID: "k3", Tier: "unlimited"}, 5); r != nil {
		t.Fatalf("unlimited: %+v", r)
	}
	// A meter charges once.
	m := l.NewMeter(test)
	r1, first := m.Charge(ctx, 1)
	r2, again := m.Charge(ctx, 7)
	if !first || again || r1 != r2 || m.Result() != r1 || r1.Remaining != 28 {
		t.Fatalf("meter: %+v %v %+v %v", r1, first, r2, again)
	}
}

type failingStore struct{ calls int }

func (f *failingStore) Take(context.Context, string, int, int) (Result, error) {
	f.calls++
	return Result{}, errors.New("connection refused")
}

// TestFailOpen: a failing store lets requests through, counts them, logs a
// warning (not one per request) and is skipped for a moment.
func TestFailOpen(t *testing.T) {
	var logs bytes.Buffer
	store := &failingStore{}
	l := NewLimiter(store, slog.New(slog.NewTextHandler(&logs, nil)))
	var metric int
	l.OnFailOpen = func() { metric++ }
	id := &auth.Identity{KeyID: "k", Tier: "standard", Livemode: true}
	for i := 0; i < 10; i++ {
		if r := l.Charge(context.Background(), id, 1); r != nil {
			t.Fatalf("charge %d: %+v", i, r)
		}
	}
	if l.Failures() != 10 || metric != 10 {
		t.Fatalf("failures %d, metric +%d", l.Failures(), metric)
	}
	if store.calls != 1 {
		t.Fatalf("store called %d times during its backoff", store.calls)
	}
	if n := strings.Count(logs.String(), "rate-limit store unavailable"); n != 1 {
		t.Fatalf("%d warnings:\n%s", n, logs.String())
	}
}

// TestRedisDown: a Redis that does not answer fails open quickly.
func TestRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r, err := NewRedis("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Take(context.Background(), "k", 5, 1); err == nil {
		t.Fatal("Take on a closed port succeeded")
	}
	l := NewLimiter(r, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	if res := l.Charge(context.Background(), &auth.Identity{KeyID: "k", Tier: "paid"}, 1); res != nil || l.Failures() != 1 {
		t.Fatalf("charge: %+v, failures %d", res, l.Failures())
	}
}
