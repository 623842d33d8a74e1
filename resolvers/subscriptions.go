package resolvers

import (
	"context"
	"errors"
	"sync"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/graph/model"
	"pivotal/live"
)

// Subscriptions: the hub (package live) hands each event to the subscribers
// of its workspace and mode once; this file turns it into the GraphQL Event
// and gives the nested fields of every subscriber of one round of events the
// same loaders, so that an event fanned out to a thousand subscribers loads
// each nested object once, in a bounded number of statements.

var (
	errNotOverWebSocket = apperr.New(apperr.Invalid, "websocket_required",
		"Subscriptions are served over WebSocket (graphql-transport-ws) on /graphql.")
	errTooManySubscriptions = apperr.New(apperr.RateLimited, "too_many_subscriptions",
		"This API key holds the most subscriptions allowed at once on this server; complete one before starting another.")
)

// liveLoaders is one connection's current loaders: those of the round of
// events its subscriptions are resolving. Whichever round's loaders a nested
// field meets, it reads current rows ("nested fields are resolved now"); the
// slot only lets subscribers share batches.
type liveLoaders struct {
	mu sync.Mutex
	ls *Loaders
}

type liveLoadersKey struct{}

func (l *liveLoaders) get() *Loaders {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ls
}

func (l *liveLoaders) set(ls *Loaders) {
	l.mu.Lock()
	l.ls = ls
	l.mu.Unlock()
}

// WithLiveLoaders returns the context of a WebSocket connection, whose
// operations' nested fields use the loaders of the events being delivered.
func WithLiveLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, liveLoadersKey{}, &liveLoaders{})
}

// SubscribeEvents streams the events of the caller's workspace and mode whose
// type is among types (all when empty). It must run on a WebSocket
// connection (live.ConnFrom). Returns websocket_required, or
// too_many_subscriptions when the key holds the most allowed.
func (r *Resolver) SubscribeEvents(ctx context.Context, types []string) (<-chan *model.Event, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	conn := live.ConnFrom(ctx)
	slot, _ := ctx.Value(liveLoadersKey{}).(*liveLoaders)
	if conn == nil || r.Live == nil || slot == nil {
		return nil, errNotOverWebSocket
	}
	sub, err := r.Live.Subscribe(conn, db.Feed{WorkspaceID: who.WorkspaceID, Livemode: who.Livemode}, types)
	if errors.Is(err, live.ErrTooManySubscriptions) {
		return nil, errTooManySubscriptions
	}
	if err != nil {
		return nil, apperr.New(apperr.Unavailable, "unavailable", "The server is shutting down; reconnect.")
	}
	out := make(chan *model.Event)
	go func() {
		defer close(out)
		defer sub.Unsubscribe()
		for {
			var d *live.Delivery
			select {
			case <-ctx.Done():
				return
			case got, ok := <-sub.C():
				if !ok {
					return
				}
				d = got
			}
			v, err := d.Memo(func(e db.Event) (any, error) { return EventFromPayload(e.Payload, r.ReadResource) })
			if err != nil {
				r.Log.ErrorContext(ctx, "subscription: unreadable event", "event", d.Event.ID, "err", err.Error())
				continue
			}
			slot.set(d.Batch.Value(func() any { return r.newLoaders() }).(*Loaders))
			select {
			case out <- v.(*model.Event):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
