package resolvers

import (
	"context"

	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/ratelimit"
)

// RateLimit describes the caller's window after charging this request, or nil
// when the request is not metered: an unlimited key, or a rate-limit store
// that is down (requests then pass unmetered).
func (r *Resolver) RateLimit(ctx context.Context) (*model.RateLimit, error) {
	if _, err := identity(ctx); err != nil {
		return nil, err
	}
	m := ratelimit.MeterFrom(ctx)
	if m == nil {
		return nil, nil
	}
	res := m.Result()
	if res == nil {
		return nil, nil
	}
	return &model.RateLimit{Limit: res.Limit, Cost: res.Cost, Remaining: max(res.Remaining, 0),
		ResetAt: gqltypes.Time(res.Reset.UTC())}, nil
}
