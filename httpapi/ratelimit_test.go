package httpapi

import (
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"pivotal/ratelimit"
	"pivotal/resolvers"
)

// newLimitedEnv is newEnv with the production rate limiter over store (a
// fresh in-memory one when nil).
func newLimitedEnv(t *testing.T, store ratelimit.Store) (*env, *ratelimit.Limiter) {
	t.Helper()
	e := newEnv(t)
	if store == nil {
		store = ratelimit.NewMemory()
	}
	log := slog.New(slog.NewJSONHandler(logSink, nil))
	l := ratelimit.NewLimiter(store, log)
	srv := httptest.NewServer(New(resolvers.New(e.store, log), log, Options{Limiter: l}))
	t.Cleanup(srv.Close)
	e.srv = srv
	return e, l
}

// span brackets a request: sent at or after From, answered by To. The
// limiter stamps the request in between, so what it derives from that stamp
// can be checked exactly, however slowly the machine ran it.
type span struct{ From, To time.Time }

// timed runs one request and returns it with its span.
func timed(do func() response) (response, span) {
	from := time.Now()
	r := do()
	return r, span{from, time.Now()}
}

// checkLimitHeaders checks X-RateLimit-* exactly; reset must be a window after
// the request that opened the window (opened), in Unix seconds rounded up.
func checkLimitHeaders(t *testing.T, r response, limit, remaining int, opened span) {
	t.Helper()
	if got := r.Header.Get("X-RateLimit-Limit"); got != strconv.Itoa(limit) {
		t.Fatalf("X-RateLimit-Limit %q, want %d", got, limit)
	}
	if got := r.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(remaining) {
		t.Fatalf("X-RateLimit-Remaining %q, want %d", got, remaining)
	}
	reset, err := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64)
	lo, hi := opened.From.Add(time.Minute).Unix(), opened.To.Add(time.Minute+time.Second).Unix()
	if err != nil || reset < lo || reset > hi {
		t.Fatalf("X-RateLimit-Reset %q, want within [%d, %d]", r.Header.Get("X-RateLimit-Reset"), lo, hi)
	}
}

// checkRetryAfter checks a refusal's Retry-After: the window's oldest request
// (opened) leaves it a minute after it was made, counted from this request (at).
func checkRetryAfter(t *testing.T, r response, opened, at span) int {
	t.Helper()
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	lo := int(opened.From.Add(time.Minute).Sub(at.To).Seconds())
	hi := int(math.Ceil(opened.To.Add(time.Minute).Sub(at.From).Seconds()))
	if err != nil || retry < max(lo, 1) || retry > hi {
		t.Fatalf("Retry-After %q, want within [%d, %d]", r.Header.Get("Retry-After"), max(lo, 1), hi)
	}
	return retry
}

func TestRateLimitStandardLive(t *testing.T) {
	e, _ := newLimitedEnv(t, nil)
	key := e.key("acme")
	var first span
	for i := 1; i <= 60; i++ {
		path := "/api/v1/me"
		if i%3 == 0 {
			path = "/api/v1/customers/404" // errors count too
		}
		r, at := timed(func() response { return e.do("GET", path, key, "") })
		if i == 1 {
			first = at
		}
		checkLimitHeaders(t, r, 60, 60-i, first)
		if r.Header.Get("Retry-After") != "" {
			t.Fatalf("Retry-After on an allowed request")
		}
	}
	r, at := timed(func() response { return e.do("GET", "/api/v1/me", key, "") })
	retry := checkRetryAfter(t, r, first, at)
	r.expect(t, 429, fmt.Sprintf(`{"error":{"type":"rate_limit_error","code":"rate_limited","message":"Rate limit exceeded. Retry after %d seconds."}}`, retry))
	checkLimitHeaders(t, r, 60, 0, first)
	// A refused request is not executed.
	e.do("POST", "/api/v1/customers", key, `{"name":"Refused"}`).expect(t, 429, "")
	if n := e.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Fatalf("a refused POST wrote")
	}
	// Other keys have their own windows; health and failed authentication are not counted.
	other := e.key("acme", "other key")
	r, at = timed(func() response { return e.do("GET", "/api/v1/me", other, "") })
	checkLimitHeaders(t, r, 60, 59, at)
	h := e.do("GET", "/api/v1/health", key, "")
	h.expect(t, 200, "")
	if h.Header.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("health is metered")
	}
	bad := e.do("GET", "/api/v1/me", "pivotal_"+strings.Repeat("x", 32), "")
	bad.expect(t, 401, "")
	if bad.Header.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("a failed authentication is metered")
	}
}

func TestRateLimitTiers(t *testing.T) {
	e, _ := newLimitedEnv(t, nil)
	test := e.key("acme", "test")
	var first span
	for i := 1; i <= 30; i++ {
		r, at := timed(func() response { return e.do("GET", "/api/v1/me", test, "") })
		if i == 1 {
			first = at
		}
		checkLimitHeaders(t, r, 30, 30-i, first)
	}
	e.do("GET", "/api/v1/me", test, "").expect(t, 429, "")

	paid := e.key("acme", "paid")
	r, at := timed(func() response { return e.do("GET", "/api/v1/me", paid, "") })
	checkLimitHeaders(t, r, 600, 599, at)
	paidTest := e.key("acme", "paid", "test")
	r, at = timed(func() response { return e.do("GET", "/api/v1/me", paidTest, "") })
	checkLimitHeaders(t, r, 600, 599, at)

	unlimited := e.key("acme", "unlimited")
	for i := 0; i < 100; i++ {
		r := e.do("GET", "/api/v1/me", unlimited, "")
		r.expect(t, 200, "")
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
			if r.Header.Get(h) != "" {
				t.Fatalf("unlimited key got %s", h)
			}
		}
	}
	e.gql(unlimited, `{ rateLimit { limit } }`, nil).expect(t, 200, `{"data":{"rateLimit":null}}`)
}

// TestRateLimitGraphQL: a request is charged by its complexity, at least one
// point, and rateLimit reports the charge.
func TestRateLimitGraphQL(t *testing.T) {
	e, _ := newLimitedEnv(t, nil)
	key := e.key("acme")
	r, first := timed(func() response { return e.gql(key, `{ rateLimit { limit cost remaining resetAt } }`, nil) })
	r.expect(t, 200, `{"data":{"rateLimit":{"limit":60,"cost":1,"remaining":59,"resetAt":"$time"}}}`)
	checkLimitHeaders(t, r, 60, 59, first)
	reset, err := time.Parse(time.RFC3339Nano, r.json(t)["data"].(map[string]any)["rateLimit"].(map[string]any)["resetAt"].(string))
	// resetAt has microseconds: a window after the request, to the microsecond.
	if lo, hi := first.From.Add(time.Minute).Truncate(time.Microsecond), first.To.Add(time.Minute); err != nil || reset.Before(lo) || reset.After(hi) {
		t.Fatalf("resetAt %v is not a window after the request (%v … %v): %v", reset, lo, hi, err)
	}

	// 100 aliased `me { … }` of 3 objects and 6 values cost 100 × 3.6, plus
	// 1.2 for rateLimit: 362, 3 points.
	var q strings.Builder
	q.WriteString("{ rateLimit { cost remaining } ")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&q, "m%d: me { livemode workspace { id slug name } apiKey { id name } } ", i)
	}
	q.WriteString("}")
	r = e.gql(key, q.String(), nil)
	if r.Status != 200 || !strings.HasPrefix(string(r.Body), `{"data":{"rateLimit":{"cost":3,"remaining":56},`) {
		t.Fatalf("large query: %d %.200s", r.Status, r.Body)
	}
	checkLimitHeaders(t, r, 60, 56, first)
	if got := GraphQLPoints(99); got != 1 {
		t.Errorf("GraphQLPoints(99) = %d", got)
	}
	if got := GraphQLPoints(250); got != 2 {
		t.Errorf("GraphQLPoints(250) = %d", got)
	}

	// A request that does not parse (200 under application/json, with the
	// errors in the body) still costs a point.
	e.gql(key, `{ nope`, nil).expect(t, 200, `{"errors":[{"message":"$any","locations":"$any","extensions":{"code":"GRAPHQL_PARSE_FAILED"}}],"data":null}`)
	checkLimitHeaders(t, e.gql(key, `{ me { livemode } }`, nil), 60, 54, first)

	// REST and GraphQL draw on one budget.
	for i := 53; i >= 0; i-- {
		checkLimitHeaders(t, e.do("GET", "/api/v1/me", key, ""), 60, i, first)
	}
	r, at := timed(func() response { return e.gql(key, `{ me { livemode } }`, nil) })
	retry := checkRetryAfter(t, r, first, at)
	r.expect(t, 429, fmt.Sprintf(`{"errors":[{"message":"Rate limit exceeded. Retry after %d seconds.",
		"extensions":{"code":"RATE_LIMITED","errorCode":"rate_limited","retryAfter":%d}}],"data":null}`, retry, retry))
	checkLimitHeaders(t, r, 60, 0, first)
	// Refused before parsing too (the late one-point charge).
	r = e.gql(key, `{ nope`, nil)
	r.expect(t, 429, `{"errors":[{"message":"$any","extensions":{"code":"RATE_LIMITED","errorCode":"rate_limited","retryAfter":"$any"}}]}`)
	// A refused mutation does not run.
	e.gql(key, `mutation { createCustomer(input: {name: "No"}) { customer { id } } }`, nil, "Idempotency-Key: x").expect(t, 429, "")
	if e.count(`SELECT count(*) FROM customers`)+e.count(`SELECT count(*) FROM idempotency_keys`) != 0 {
		t.Fatalf("a refused mutation left traces")
	}
}

// TestRateLimitFailOpen: with its store down the API keeps answering, without
// rate-limit headers, and counts the failures.
func TestRateLimitFailOpen(t *testing.T) {
	down, err := ratelimit.NewRedis("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	e, l := newLimitedEnv(t, down)
	key := e.key("acme")
	for i := 0; i < 70; i++ {
		r := e.do("GET", "/api/v1/me", key, "")
		r.expect(t, 200, "")
		if r.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatal("headers without a store")
		}
	}
	e.gql(key, `{ rateLimit { limit } me { livemode } }`, nil).expect(t, 200, `{"data":{"rateLimit":null,"me":{"livemode":true}}}`)
	if l.Failures() != 71 {
		t.Fatalf("failures %d, want 71", l.Failures())
	}
	if !strings.Contains(logSink.String(), "rate-limit store unavailable") {
		t.Fatal("no warning logged")
	}
}
