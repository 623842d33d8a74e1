package httpmw

import (
	"net/http"
	"strconv"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/ratelimit"
)

// setRateLimitHeaders writes the X-RateLimit-* headers (spec §6), and
// Retry-After on a refusal.
func setRateLimitHeaders(h http.Header, res *ratelimit.Result) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(res.Remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(res.ResetUnix(), 10))
	if !res.Allowed {
		h.Set("Retry-After", strconv.Itoa(res.RetryAfterSeconds()))
	}
}

// RateLimited is the 429 of a refused charge.
func RateLimited(res *ratelimit.Result) *apperr.Error {
	return &apperr.Error{Kind: apperr.RateLimited, Code: "rate_limited", Message: res.Message(),
		RetryAfter: res.RetryAfterSeconds()}
}

// RateLimit charges every authenticated request one point before it runs
// (REST). It goes after Authenticate: failed authentication is never counted.
// A nil limiter meters nothing.
func RateLimit(l *ratelimit.Limiter, write ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m := l.NewMeter(auth.FromContext(r.Context()))
			res, _ := m.Charge(r.Context(), 1)
			if res != nil {
				setRateLimitHeaders(w.Header(), res)
				if !res.Allowed {
					write(w, r, RateLimited(res))
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(ratelimit.WithMeter(r.Context(), m)))
		})
	}
}

// RateLimitDeferred meters a request whose cost is known only later (GraphQL:
// the executor charges the operation's complexity through the context's
// Meter). Whatever was not charged by the time the response starts — a
// request that failed to parse, a replay — costs one point then; if that
// charge is refused, the 429 replaces the response.
func RateLimitDeferred(l *ratelimit.Limiter, write ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m := l.NewMeter(auth.FromContext(r.Context()))
			r = r.WithContext(ratelimit.WithMeter(r.Context(), m))
			mw := &meteredWriter{ResponseWriter: w, r: r, m: m, write: write}
			next.ServeHTTP(mw, r)
			mw.start()
		})
	}
}

// meteredWriter settles the charge when the response starts.
type meteredWriter struct {
	http.ResponseWriter
	r       *http.Request
	m       *ratelimit.Meter
	write   ErrorWriter
	started bool
	// refused: the executor's charge was refused and its body says so; the
	// status becomes 429.
	refused bool
	// replaced: the late charge was refused; the 429 was written instead and
	// the handler's own response is dropped.
	replaced bool
}

func (w *meteredWriter) start() {
	if w.started {
		return
	}
	w.started = true
	res, first := w.m.Charge(w.r.Context(), 1)
	if res == nil {
		return
	}
	setRateLimitHeaders(w.Header(), res)
	if res.Allowed {
		return
	}
	if first {
		w.replaced = true
		w.write(w.ResponseWriter, w.r, RateLimited(res))
		return
	}
	w.refused = true
}

func (w *meteredWriter) WriteHeader(code int) {
	w.start()
	switch {
	case w.replaced:
		return
	case w.refused:
		code = http.StatusTooManyRequests
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *meteredWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *meteredWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *meteredWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
