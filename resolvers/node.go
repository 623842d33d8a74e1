package resolvers

import (
	"context"

	"pivotal/apperr"
	"pivotal/graph/model"
)

// FindNode resolves a cuid of any type. Another workspace's object, a deleted
// one, or a display id (which names no single object) is not found.
func (r *Resolver) FindNode(ctx context.Context, id string) (model.Node, error) {
	notFound := &apperr.Error{Kind: apperr.NotFound, Code: "node_not_found", Field: "id",
		Message: "Could not resolve to a node with the id " + quote(id) + "."}
	if !isCUID(id) {
		return nil, notFound
	}
	if c, err := r.FindCustomer(ctx, id); err == nil {
		return c, nil
	} else if !apperr.Match(err, "customer_not_found") {
		return nil, err
	}
	if k, err := r.FindContact(ctx, id); err == nil {
		return k, nil
	} else if !apperr.Match(err, "contact_not_found") {
		return nil, err
	}

	if o, err := r.FindOnboarding(ctx, id); err == nil {
		return o, nil
	} else if !apperr.Match(err, "onboarding_not_found") {
		return nil, err
	}
	return nil, notFound
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return "\"" + s + "\""
}
