package resolvers

import (
	"context"

	"pivotal/apperr"
	"pivotal/db"
	"pivotal/graph/model"
)

// customerByID loads a visible customer of the caller's workspace by cuid,
// batching every call of one request into one statement. A deleted or unknown
// customer is customer_not_found.
func (r *Resolver) customerByID(ctx context.Context, id string) (*model.Customer, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	l := loaderFor(ctx, "customerByID", func(ctx context.Context, ids []string) ([]*model.Customer, []error) {
		out := make([]*model.Customer, len(ids))
		errs := make([]error, len(ids))
		rows, err := db.FindCustomersByID(ctx, r.DB, who.WorkspaceID, ids)
		if err != nil {
			return batchFailed(out, err)
		}
		byID := make(map[string]*db.Customer, len(rows))
		for i := range rows {
			byID[rows[i].ID] = &rows[i]
		}
		for i, id := range ids {
			if c, ok := byID[id]; ok {
				out[i] = toCustomer(c)
			} else {
				errs[i] = apperr.NotFoundError("customer")
			}
		}
		return out, errs
	})
	return loadWithSiblings(ctx, l, "customerByID", id, customerKey)
}
