// Package ratelimit meters requests per API key in a sliding one-minute window
// (spec §6). A Limiter applies the tiers and fails open when its Store does; a
// Store keeps the windows: Memory for one instance, Redis for several that
// must share one budget. A Meter charges one request exactly once, so that
// GraphQL can charge an operation's complexity and everything else one point.
package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"pivotal/auth"
)

// Window is the length of the sliding window.
const Window = time.Minute

// Limit returns a key's points per window; ok is false for an unlimited key.
func Limit(tier string, livemode bool) (limit int, ok bool) {
	switch tier {
	case "unlimited":
		return 0, false
	case "paid":
		return 600, true
	}
	if livemode {
		return 60, true
	}
	return 30, true
}

// Result is the outcome of charging a key.
type Result struct {
	Allowed bool
	Limit   int
	// Cost is what this request was charged (or would have been, if refused).
	Cost int
	// Remaining is what is left of the window after this request.
	Remaining int
	// Reset is when the oldest request counted in the window leaves it.
	Reset time.Time
	// RetryAfter is, for a refusal, how long until Cost points fit again.
	RetryAfter time.Duration
}

// ResetUnix is Reset in Unix seconds, rounded up: budget is back by then.
func (r *Result) ResetUnix() int64 { return ceilSeconds(time.Duration(r.Reset.UnixNano())) }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1.
func (r *Result) RetryAfterSeconds() int {
	s := int(ceilSeconds(r.RetryAfter))
	if s < 1 {
		s = 1
	}
	return s
}

// Message is the 429 message (spec §2).
func (r *Result) Message() string {
	s := r.RetryAfterSeconds()
	unit := "seconds"
	if s == 1 {
		unit = "second"
	}
	return fmt.Sprintf("Rate limit exceeded. Retry after %d %s.", s, unit)
}

func ceilSeconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// Store keeps sliding windows. Take charges cost points to key when they fit
// into limit over the Window ending now, atomically: concurrent Takes of one
// key, from any number of processes sharing the store, never overspend it.
type Store interface {
	Take(ctx context.Context, key string, limit, cost int) (Result, error)
}

// Limiter charges keys according to their tier.
type Limiter struct {
	store Store
	log   *slog.Logger
	// OnReject and OnFailOpen, when set, are told of every refused charge and
	// of every charge let through because the store failed (metrics).
	OnReject, OnFailOpen func()
	// failures counts this limiter's failed-open charges.
	failures atomic.Int64
	// skipUntil (Unix nanoseconds) skips a failing store for a moment, so that
	// an outage does not add a timeout to every request.
	skipUntil atomic.Int64
	warnMu    sync.Mutex
	lastWarn  time.Time
}

// NewLimiter returns a limiter over store.
func NewLimiter(store Store, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	return &Limiter{store: store, log: log}
}

// Failures returns how many charges failed open because the store failed.
func (l *Limiter) Failures() int64 { return l.failures.Load() }

// storeBackoff is how long a failing store is skipped.
const storeBackoff = time.Second

// Charge charges id cost points (at least 1, at most the whole limit, so that
// any request can run in a fresh window). It returns nil for an unlimited key
// and when the store fails: then the request is let through (fail open),
// counted, and a warning logged at most every few seconds.
func (l *Limiter) Charge(ctx context.Context, id *auth.Identity, cost int) *Result {
	limit, ok := Limit(id.Tier, id.Livemode)
	if !ok {
		return nil
	}
	cost = max(1, min(cost, limit))
	if time.Now().UnixNano() < l.skipUntil.Load() {
		l.failOpen(nil)
		return nil
	}
	res, err := l.store.Take(ctx, "key:"+id.KeyID, limit, cost)
	if err != nil {
		if ctx.Err() == nil {
			l.skipUntil.Store(time.Now().Add(storeBackoff).UnixNano())
		}
		l.failOpen(err)
		return nil
	}
	if !res.Allowed && l.OnReject != nil {
		l.OnReject()
	}
	return &res
}

func (l *Limiter) failOpen(err error) {
	l.failures.Add(1)
	if l.OnFailOpen != nil {
		l.OnFailOpen()
	}
	l.warnMu.Lock()
	defer l.warnMu.Unlock()
	if err == nil || time.Since(l.lastWarn) < 10*time.Second {
		return
	}
	l.lastWarn = time.Now()
	l.log.Warn("rate-limit store unavailable; requests pass unmetered", "err", err.Error(),
		"failed_open_total", l.failures.Load())
}

// Meter charges one request once.
type Meter struct {
	l       *Limiter
	id      *auth.Identity
	mu      sync.Mutex
	charged bool
	res     *Result
}

// NewMeter returns a meter for one request of id.
func (l *Limiter) NewMeter(id *auth.Identity) *Meter { return &Meter{l: l, id: id} }

// Charge charges cost points on the first call and returns the result; later
// calls return the first result and first=false. A nil result means the
// request is not metered (unlimited key, or the store failed open).
func (m *Meter) Charge(ctx context.Context, cost int) (res *Result, first bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.charged {
		return m.res, false
	}
	m.charged = true
	m.res = m.l.Charge(ctx, m.id, cost)
	return m.res, true
}

// Result returns what the request was charged (nil: not metered or not yet).
func (m *Meter) Result() *Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.res
}

type meterKey struct{}

// WithMeter returns ctx carrying m.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// MeterFrom returns the request's meter, or nil.
func MeterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}
