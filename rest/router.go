package rest

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"pivotal/apperr"
	"pivotal/gqltypes"
	"pivotal/resolvers"
)

// API serves /api/v1.
type API struct {
	res       *resolvers.Resolver
	requestID func(context.Context) string
	// Authenticate is the middleware that puts the caller's identity in the context.
	authenticate func(http.Handler) http.Handler
}

// New returns the REST API over res. authenticate (the key check, then the
// rate limit and the body limit: no body is read before the key is known)
// guards every route but the public ones (health, OpenAPI document).
func New(res *resolvers.Resolver, requestID func(context.Context) string, authenticate func(http.Handler) http.Handler) *API {
	return &API{res: res, requestID: requestID, authenticate: authenticate}
}

// Prefix is where Routes is mounted.
const Prefix = "/api/v1"

// Routes returns the handler to mount at Prefix.
func (a *API) Routes() http.Handler {
	r := chi.NewRouter()
	r.NotFound(a.routeNotFound)
	r.MethodNotAllowed(MethodNotAllowed(r, Prefix))
	r.Get("/health", a.health)
	r.Get("/openapi.json", a.openAPI)
	r.Group(func(r chi.Router) {
		r.Use(a.authenticate, a.idempotency)
		r.Get("/me", a.handle(a.me))
		r.Route("/customers", func(r chi.Router) {
			r.Get("/", a.handle(a.listCustomers))
			r.Post("/", a.handle(a.createCustomer))
			r.Get("/{id}", a.handle(a.getCustomer))
			r.Patch("/{id}", a.handle(a.updateCustomer))
			r.Delete("/{id}", a.handle(a.deleteCustomer))
			r.Get("/{customerId}/contacts", a.handle(a.listContacts))
			r.Post("/{customerId}/contacts", a.handle(a.createContact))
			r.Get("/{customerId}/onboardings", a.handle(a.listCustomerOnboardings))
		})
		r.Route("/contacts", func(r chi.Router) {
			r.Get("/{id}", a.handle(a.getContact))
			r.Patch("/{id}", a.handle(a.updateContact))
			r.Delete("/{id}", a.handle(a.deleteContact))
		})
		r.Route("/onboardings", func(r chi.Router) {
			r.Get("/", a.handle(a.listOnboardings))
			r.Post("/", a.handle(a.createOnboarding))
			r.Get("/{id}", a.handle(a.getOnboarding))
			r.Patch("/{id}", a.handle(a.updateOnboarding))
			r.Delete("/{id}", a.handle(a.deleteOnboarding))
		})
	})
	return r
}

// mutationContext is the context resolvers run mutations under.
func (a *API) mutationContext(r *http.Request) context.Context { return r.Context() }

func (a *API) routeNotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, RouteNotFound())
}

// MethodNotAllowed is the 405 handler of routes, mounted at prefix: the error
// envelope, and an Allow header listing the methods routes answer on the
// request's path. chi hands a custom 405 handler no such list, so routes are
// asked method by method, with the whole path (a 405 found in a nested router
// is answered by this same handler).
func MethodNotAllowed(routes chi.Routes, prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.RawPath // what chi routes on
		if path == "" {
			path = r.URL.Path
		}
		path = strings.TrimPrefix(path, prefix)
		WriteError(w, apperr.MethodNotAllowedError(r.Method, AllowedMethods(routes, path)...))
	}
}

// AllowedMethods lists the methods routes answer on path. A path inside a
// mounted router is looked up in that router: chi's Match answers "every
// method" for a mount point itself (/customers), where the mounted router
// decides.
func AllowedMethods(routes chi.Routes, path string) []string {
	for _, rt := range routes.Routes() {
		mount, ok := strings.CutSuffix(rt.Pattern, "/*")
		if !ok || rt.SubRoutes == nil {
			continue
		}
		if rest, ok := strings.CutPrefix(path, mount); ok && (rest == "" || rest[0] == '/') {
			return AllowedMethods(rt.SubRoutes, "/"+strings.TrimPrefix(rest, "/"))
		}
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if routes.Match(chi.NewRouteContext(), m, path) {
			allow = append(allow, m)
		}
	}
	return allow
}

// RouteNotFound is the 404 for a path no route matches.
func RouteNotFound() *apperr.Error {
	return &apperr.Error{Kind: apperr.NotFound, Code: "route_not_found", Message: "No such route."}
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "timestamp": gqltypes.FormatTime(time.Now())})
}

type meJSON struct {
	Object       string       `json:"object"`
	APIKey       meKey        `json:"api_key"`
	Organization organization `json:"organization"`
	Livemode     bool         `json:"livemode"`
}

type meKey struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Prefix        string   `json:"prefix"`
	Scopes        []string `json:"scopes"`
	RateLimitTier string   `json:"rate_limit_tier"`
}

type organization struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (a *API) me(r *http.Request) (result, error) {
	m, err := a.res.Me(r.Context())
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, meJSON{
		Object: "me",
		APIKey: meKey{ID: m.APIKey.ID, Name: m.APIKey.Name, Prefix: m.APIKey.Prefix, Scopes: m.Scopes,
			RateLimitTier: resolvers.RESTEnum(m.APIKey.RateLimitTier)},
		Organization: organization{ID: m.Workspace.ID, Slug: m.Workspace.Slug, Name: m.Workspace.Name},
		Livemode:     m.Livemode,
	}}, nil
}
