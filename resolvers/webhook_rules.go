package resolvers

import (
	"context"
	"errors"

	"pivotal/apperr"
	"pivotal/webhooks"
)

func (r *Resolver) checkEndpointURL(ctx context.Context, url string) error {
	if len(url) > maxURL {
		return apperr.TooBig("url", "url must be at most %d characters", maxURL)
	}
	if err := webhooks.CheckURL(ctx, url, r.Webhooks.AllowPrivate); err != nil {
		msg := err.Error()
		if errors.Is(err, webhooks.ErrPrivateTarget) {
			msg = "url must not target a loopback, private or link-local address"
		}
		return apperr.InvalidString("url", msg)
	}
	return nil
}

func checkEventTypes(types []string) error {
	if len(types) > maxEventTypes {
		return apperr.TooBig("eventTypes", "eventTypes must hold at most %d types", maxEventTypes)
	}
	for _, t := range types {
		if !contains(EventTypes, t) {
			return apperr.InvalidEnum("eventTypes", EventTypes)
		}
	}
	return nil
}
