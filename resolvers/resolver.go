// Package resolvers is the application layer: the rules of the model
// (validation, defaults, id resolution, tenancy, authorization, loaders and the
// error vocabulary's GraphQL side). GraphQL's generated executor and the REST
// handlers both call the same exported methods here.
package resolvers

import (
	"log/slog"

	"pivotal/db"
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
