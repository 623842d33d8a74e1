package main

import (
	"context"

	"pivotal/graph/model"
	"pivotal/resolvers"
)

// seedDemoChildren adds contacts and onboardings to a demo customer.
func seedDemoChildren(ctx context.Context, res *resolvers.Resolver, c *model.Customer, i int, domain string) error {
	if err := seedDemoOnboardings(ctx, res, c, i); err != nil {
		return err
	}
	return nil
}
