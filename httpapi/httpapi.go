// Package httpapi assembles the HTTP surface: middleware, /graphql, /graphiql,
// /api/v1 (package rest) and the health routes. The server binary and the
// end-to-end tests both serve exactly this handler.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/go-chi/chi/v5"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"pivotal/apperr"
	"pivotal/graph"
	"pivotal/graphiql"
	"pivotal/httpmw"
	"pivotal/ratelimit"
	"pivotal/resolvers"
	"pivotal/rest"
)

// Options tune the handler.
type Options struct {
	// GraphiQLHeaders prefill GraphiQL's header editor (the demo key, which
	// the server sets only when it listens on a loopback address).
	GraphiQLHeaders map[string]string
	// Limiter meters /api/v1 and /graphql per key (spec §6). The server always
	// sets one; nil meters nothing (tests of other concerns).
	Limiter *ratelimit.Limiter
	// CORSOrigins are the browser origins allowed to call the API; none: no CORS.
	CORSOrigins []string
	// MaxComplexity is the most a GraphQL operation may cost (see limits.go);
	// 0 means DefaultMaxComplexity.
	MaxComplexity int
	// MaxDepth is the deepest nesting of fields allowed; 0 means DefaultMaxDepth.
	MaxDepth int
	// DisableFastPath sends every GraphQL operation through gqlgen's executor
	// (tests compare the two).
	DisableFastPath bool
	// Observe is told of every finished request (metrics.ObserveHTTP); nil: nobody.
	Observe httpmw.Observer
	// RequestTimeout is every request's deadline, propagated to SQL (0: none).
	RequestTimeout time.Duration
	// KeepAlive is how often WebSocket clients are pinged (0: DefaultKeepAlive).
	KeepAlive time.Duration
	// WebSocketSendBuffer, when > 0, is each WebSocket's socket send buffer in
	// bytes (0: the system's); with the hub's buffer it bounds what waits for
	// a slow subscriber.
	WebSocketSendBuffer int
}

// New wires the whole HTTP surface over res. Events render their objects as
// the REST API does: New gives res that renderer unless it has one.
func New(res *resolvers.Resolver, log *slog.Logger, o Options) http.Handler {
	if res.Resource == nil {
		res.Resource = rest.Resource
	}
	if res.ReadResource == nil {
		res.ReadResource = rest.ReadResource
	}
	internal := func(ctx context.Context, err error) *apperr.Error {
		return res.Internal(ctx, err, httpmw.RequestIDFrom(ctx))
	}
	restErr := func(w http.ResponseWriter, r *http.Request, e *apperr.Error) { rest.WriteError(w, e) }
	gqlErr := func(w http.ResponseWriter, r *http.Request, e *apperr.Error) { writeGraphQLError(w, e) }

	r := chi.NewRouter()
	r.Use(httpmw.RequestID, httpmw.AccessLog(log, o.Observe), httpmw.Timeout(o.RequestTimeout))
	if len(o.CORSOrigins) > 0 {
		// Before routing and authentication: a preflight carries no key.
		r.Use(corsHandler(o.CORSOrigins))
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { rest.WriteError(w, rest.RouteNotFound()) })
	r.MethodNotAllowed(rest.MethodNotAllowed(r, ""))

	r.Get("/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/graphiql", http.StatusFound) })
	ui := graphiql.New(graphiql.Options{Endpoint: "/graphql", Headers: o.GraphiQLHeaders, Schema: schemaSDL()})
	r.Get("/graphiql", ui.ServePage)
	r.Get("/graphiql/assets/{name}", ui.ServeAsset)
	r.Get("/api/health/deep", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := res.DB.PingContext(ctx); err != nil {
			writeDeepUnavailable(w)
			return
		}
		rest.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
	})

	apq := lru.New[string](1000)
	// The key is checked before the body is read (it needs only the header), and
	// charged before it is read too: nobody without a key, or out of points,
	// makes the server buffer a body.
	restAuth, restLimit, restBody := httpmw.Authenticate(res, restErr, internal), httpmw.RateLimit(o.Limiter, restErr), httpmw.BodyLimit(restErr)
	api := rest.New(res, httpmw.RequestIDFrom, func(h http.Handler) http.Handler { return restAuth(restLimit(restBody(h))) })
	r.With(httpmw.Recover(log, restErr)).Mount(rest.Prefix, api.Routes())

	gql := newGraphQLHandler(res, apq, o)
	ws := wsHandler(gql, o.CORSOrigins)
	r.Group(func(r chi.Router) {
		// A graphql-transport-ws upgrade authenticates in its connection_init
		// and outlives any request deadline: none of the HTTP chain applies.
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if res.Live != nil && isGraphQLWS(r) {
					ws.ServeHTTP(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		})
		r.Use(httpmw.Recover(log, gqlErr), httpmw.Authenticate(res, gqlErr, internal), httpmw.BodyLimit(gqlErr),
			httpmw.RateLimitDeferred(o.Limiter, gqlErr))
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r.WithContext(res.WithLoaders(r.Context())))
			})
		})
		r.Use(graphQLIdempotency(res, apq, gqlErr, internal))
		r.Handle("/graphql", gql)
	})
	return r
}

// newGraphQLHandler is gqlgen's server with our error presenter and limits.
// apq is the persisted-query cache, shared with graphQLIdempotency.
// A list's elements are resolved by at most 4 goroutines at a time (gqlgen.yml's
// exec.worker_limit), so a response's goroutines are bounded by its depth, not
// its size.
func newGraphQLHandler(res *resolvers.Resolver, apq *lru.LRU[string], o Options) http.Handler {
	if o.MaxComplexity <= 0 {
		o.MaxComplexity = DefaultMaxComplexity
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: res, Schema: servedSchema()}))
	srv.AddTransport(newWSTransport(res, o))
	srv.AddTransport(overHTTP{})
	srv.AddTransport(refuseOther{}) // last: whatever no transport before it takes
	docs := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(docs)
	srv.SetParserTokenLimit(DefaultMaxTokens)
	srv.SetValidationRulesFn(literalRules)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	// Before gqlgen parses and validates: validation is quadratic in repeated keys.
	srv.Use(selectionLimit{cache: docs, tokens: DefaultMaxTokens})
	// A mutation over GET is refused first, then the limits: a refused
	// operation is not charged to the key's rate limit.
	srv.Use(queriesOnlyOverGET{})
	srv.Use(&variableCoercion{})
	srv.Use(depthLimit{limit: o.MaxDepth})
	srv.Use(&costLimit{limit: o.MaxComplexity})
	srv.Use(&rateCharge{})
	srv.Use(&wsOperations{limiter: o.Limiter})
	if !o.DisableFastPath {
		srv.Use(fastPath{res: res})
	}
	srv.SetErrorPresenter(res.ErrorPresenter(httpmw.RequestIDFrom))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		res.Log.ErrorContext(ctx, "panic in resolver", "panic", p, "request_id", httpmw.RequestIDFrom(ctx))
		return apperr.InternalError(httpmw.RequestIDFrom(ctx))
	})
	return srv
}

// schemaSDL is the served schema as SDL, for the GraphiQL page.
func schemaSDL() string {
	var b strings.Builder
	formatter.NewFormatter(&b).FormatSchema(servedSchema())
	return b.String()
}

// writeGraphQLError answers a request refused before execution (no key, body
// too large) as a GraphQL response with the HTTP status REST would use.
func writeGraphQLError(w http.ResponseWriter, e *apperr.Error) {
	rest.SetErrorHeaders(w.Header(), e)
	rest.WriteJSON(w, rest.Status(e), map[string]any{
		"errors": []any{map[string]any{"message": e.Message, "extensions": resolvers.Extensions(e)}},
	})
}
