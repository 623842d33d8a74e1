package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"pivotal/httpmw"
	"pivotal/ratelimit"
)

// pointsPerComplexity is how much complexity one rate-limit point buys.
const pointsPerComplexity = 100

// GraphQLPoints is what an operation of the given cost (limits.go) costs: one point
// per started hundred above the first, at least 1 — so ordinary queries cost
// what a REST call costs and a query that asks for thousands of objects
// costs accordingly (GitHub charges the same way). The limiter caps a charge
// at the key's whole window.
func GraphQLPoints(complexity int) int {
	return max(1, complexity/pointsPerComplexity)
}

// rateCharge is the gqlgen extension that charges an operation by its
// complexity once it is parsed and validated, before it runs. A refusal stops
// the operation; httpmw.RateLimitDeferred turns the status into 429.
type rateCharge struct{ es graphql.ExecutableSchema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &rateCharge{}

func (*rateCharge) ExtensionName() string { return "RateLimitCharge" }

func (c *rateCharge) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *rateCharge) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	m := ratelimit.MeterFrom(ctx)
	if m == nil || opCtx.Operation == nil {
		return nil
	}
	points := GraphQLPoints(operationCost(ctx, c.es, opCtx))
	res, _ := m.Charge(ctx, points)
	if res != nil && !res.Allowed {
		e := httpmw.RateLimited(res)
		return &gqlerror.Error{Err: e, Message: e.Message}
	}
	return nil
}
