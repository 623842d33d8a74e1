package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"pivotal/resolvers"
)

// fastPath answers the read-only operations that resolvers.FastPath can build
// in one SQL statement, and hands every other operation to the executor. It
// runs after the depth, cost and rate-limit extensions, so it sees only
// operations they let through.
type fastPath struct{ res *resolvers.Resolver }

var (
	_ graphql.HandlerExtension     = fastPath{}
	_ graphql.OperationInterceptor = fastPath{}
)

func (fastPath) ExtensionName() string                          { return "FastPath" }
func (fastPath) Validate(schema graphql.ExecutableSchema) error { return nil }

func (f fastPath) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	data, ok := f.res.FastPath(ctx)
	if !ok {
		return next(ctx)
	}
	sent := false
	return func(ctx context.Context) *graphql.Response {
		if sent {
			return nil
		}
		sent = true
		return &graphql.Response{Data: data}
	}
}
