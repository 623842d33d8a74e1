// Package resolvers is the application layer: the rules of the model
// (validation, defaults, id resolution, tenancy, authorization, loaders and the
// error vocabulary's GraphQL side). GraphQL's generated executor and the REST
// handlers both call the same exported methods here.
package resolvers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/live"
)

// Resolver is the dependency-injection point of the application layer.
type Resolver struct {
	DB    *db.DB
	Log   *slog.Logger
	Hooks Hooks
	// Resource renders objects as REST resources for events' data.object
	// (rest.Resource). Nil: mutations write no events (one-shot commands).
	Resource ResourceRenderer
	// ReadResource reads those resources back (rest.ReadResource), for the
	// objects of the event feed.
	ReadResource ResourceReader
	// MaxAPIKeys is the most active keys a workspace may hold for createApiKey
	// to create another; 0 means DefaultMaxAPIKeys. The operator's CLI is not
	// bound by it.
	MaxAPIKeys int
	// Webhooks are the operator's settings for webhook endpoints.
	Webhooks WebhookOptions
	// Live fans events out to subscriptions (nil: none are served).
	Live *live.Hub

	unavailable unavailableLog
	plans       planCache
}

// New returns a Resolver over store.
func New(store *db.DB, log *slog.Logger) *Resolver {
	if log == nil {
		log = slog.Default()
	}
	return &Resolver{DB: store, Log: log}
}

// Hooks let the server count application events (metrics) without this
// package knowing how they are recorded. Nil hooks are skipped.
type Hooks struct {
	// IdempotentReplay is called for every response replayed for a repeated key.
	IdempotentReplay func()
	// LoaderBatch is called with a loader's name and the keys of every batch
	// a request's loaders fetch (WithLoaders).
	LoaderBatch func(loader string, keys int)
}

// identity returns the caller, or an authentication error outside a request.
func identity(ctx context.Context) (*auth.Identity, error) {
	id := auth.FromContext(ctx)
	if id == nil {
		return nil, apperr.New(apperr.Unauthenticated, "missing_api_key", "No API key provided.")
	}
	return id, nil
}

// Deleted is the result of a soft delete.
type Deleted struct {
	ID        string
	DisplayID int
}

func isUnique(err error, constraint string) bool {
	var e *db.Error
	return errors.As(err, &e) && e.Kind == db.UniqueViolation && e.Constraint == constraint
}

// setIf assigns a present, non-null value of a non-nullable field.
func setIf[T any](o graphql.Omittable[*T], dst *T) {
	if v, ok := o.ValueOK(); ok && v != nil {
		*dst = *v
	}
}

// setNullable assigns a present value of a nullable field; null clears it.
func setNullable[T any](o graphql.Omittable[*T], dst **T) {
	if v, ok := o.ValueOK(); ok {
		*dst = v
	}
}

// compactJSON returns the object's bytes without insignificant white space.
func compactJSON(j gqltypes.JSON) []byte {
	if j == nil {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, j); err != nil {
		return []byte(j)
	}
	return b.Bytes()
}

func timePtr(t *time.Time) *gqltypes.Time {
	if t == nil {
		return nil
	}
	g := gqltypes.Time(*t)
	return &g
}

// pageInfo builds a forward-only PageInfo for n nodes whose creation times at(i) gives.
func pageInfo(n int, hasMore bool, at func(i int) gqltypes.Time) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: hasMore}
	if n > 0 {
		start, end := encodeCursor(at(0).Time()), encodeCursor(at(n-1).Time())
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// intArg reads an Int argument (defaults already applied by ArgumentMap).
func intArg(args map[string]any, name string, def int) (int, bool) {
	v, present := args[name]
	if !present || v == nil {
		return def, true // null means the default, as for the executor
	}
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), n == int64(int(n))
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), float64(int(n)) == n
	}
	return 0, false
}

// enumArg reads an optional enum of an input object in the store's spelling.
func enumArg(m map[string]any, name string) (*string, error) {
	v, present := m[name]
	if !present || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		if sv, isStringer := v.(interface{ String() string }); isStringer {
			s, ok = sv.String(), true
		}
	}
	if !ok {
		return nil, errNoPlan
	}
	s = strings.ToLower(s)
	return &s, nil
}

func stringArg(m map[string]any, name string) (*string, error) {
	v, present := m[name]
	if !present || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, errNoPlan
	}
	return &s, nil
}
