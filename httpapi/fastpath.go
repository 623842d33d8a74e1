package httpapi

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"pivotal/httpmw"
	"pivotal/resolvers"
)

// fastPath answers the read-only operations that resolvers.ReadPlan can plan
// (plain rows, one statement per level, the response written from the rows)
// and hands every other operation to the executor. It runs after the depth,
// cost and rate-limit extensions, so it sees only operations they let through.
// A planned read that fails for want of time or of a database answers with
// that error: running the operation again through the executor would only
// spend more of both.
type fastPath struct{ res *resolvers.Resolver }

// finalDataKey holds, in a request's context, where fastPath leaves the data
// it planned: bytes already as the response carries them (compact, HTML
// escaped), which the transport writes without looking at them again.
type finalDataKey struct{}

var (
	_ graphql.HandlerExtension     = fastPath{}
	_ graphql.OperationInterceptor = fastPath{}
)

func (fastPath) ExtensionName() string                          { return "FastPath" }
func (fastPath) Validate(schema graphql.ExecutableSchema) error { return nil }

func (f fastPath) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	data, ok, err := f.res.ReadPlan(ctx)
	if err == nil && !ok {
		httpmw.SetReadPath(ctx, "executor")
		return next(ctx)
	}
	httpmw.SetReadPath(ctx, "plan")
	if final, _ := ctx.Value(finalDataKey{}).(*[]byte); final != nil && err == nil {
		*final = data
	}
	resp := &graphql.Response{Data: json.RawMessage(data)}
	if err != nil {
		resp.Data = json.RawMessage("null")
		resp.Errors = gqlerror.List{f.res.ErrorPresenter(httpmw.RequestIDFrom)(ctx, err)}
	}
	sent := false
	return func(ctx context.Context) *graphql.Response {
		if sent {
			return nil
		}
		sent = true
		return resp
	}
}
