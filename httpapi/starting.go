package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"pivotal/apperr"
	"pivotal/gqltypes"
	"pivotal/httpmw"
	"pivotal/rest"
)

// Gate is the server's handler from the moment it listens: until Ready is
// called (the database is reachable and migrated) it answers like a live
// process whose database is not there yet — /api/v1/health 200, the deep health
// check 503, every other route 503 service_unavailable with Retry-After — and
// afterwards it passes everything to the real handler.
//
// Drain turns it lame duck for a shutdown (see Drain).
type Gate struct {
	starting http.Handler
	ready    atomic.Pointer[http.Handler]
	draining atomic.Bool
	// drainingHealth answers the deep health check while draining.
	drainingHealth http.Handler
}

// NewGate returns a gate serving the start-up answers; observe (may be nil)
// sees its requests as it sees the real handler's.
func NewGate(log *slog.Logger, observe httpmw.Observer) *Gate {
	r := chi.NewRouter()
	r.Use(httpmw.RequestID, httpmw.AccessLog(log, observe))
	r.Get("/api/v1/health", func(w http.ResponseWriter, r *http.Request) {
		rest.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "timestamp": gqltypes.FormatTime(time.Now())})
	})
	r.Get("/api/health/deep", func(w http.ResponseWriter, r *http.Request) { writeDeepUnavailable(w) })
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql" || strings.HasPrefix(r.URL.Path, "/graphql/") {
			writeGraphQLError(w, apperr.ServiceUnavailable())
			return
		}
		rest.WriteError(w, apperr.ServiceUnavailable())
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { rest.WriteError(w, apperr.ServiceUnavailable()) })
	d := chi.NewRouter()
	d.Use(httpmw.RequestID, httpmw.AccessLog(log, observe))
	d.Get("/api/health/deep", writeDraining)
	return &Gate{starting: r, drainingHealth: d}
}

// Ready switches the gate to h for every later request.
func (g *Gate) Ready(h http.Handler) { g.ready.Store(&h) }

// IsReady reports whether Ready was called.
func (g *Gate) IsReady() bool { return g.ready.Load() != nil }

// Drain starts the lame-duck period before a shutdown: the deep health check
// (readiness) answers 503 draining, so load balancers send no new work, and
// every response carries Connection: close, so the server closes each
// kept-alive connection right after an answer instead of under a client's
// next request when the listener goes. Everything else is served as before,
// on old and new connections alike.
func (g *Gate) Drain() { g.draining.Store(true) }

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.draining.Load() {
		w.Header().Set("Connection", "close")
		if r.URL.Path == "/api/health/deep" && r.Method == http.MethodGet {
			g.drainingHealth.ServeHTTP(w, r)
			return
		}
	}
	if h := g.ready.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	g.starting.ServeHTTP(w, r)
}

// writeDeepUnavailable is the deep health check's answer without a database.
func writeDeepUnavailable(w http.ResponseWriter) {
	e := apperr.ServiceUnavailable()
	w.Header().Set("Retry-After", "2")
	rest.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable",
		"database": "unreachable", "error": map[string]string{"type": "internal_error", "code": e.Code, "message": e.Message}})
}

// writeDraining is the deep health check's answer during a shutdown's drain.
func writeDraining(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Retry-After", "2") // elsewhere: this instance will not be back
	rest.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
}
