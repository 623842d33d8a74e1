package main

import (
	"context"

	"pivotal/graph/model"
	"pivotal/resolvers"
)

// seedDemoChildren adds contacts and onboardings to a demo customer.
func seedDemoChildren(ctx context.Context, res *resolvers.Resolver, c *model.Customer, i int, domain string) error {
	if err := seedDemoContacts(ctx, res, c, i, domain); err != nil {
		return err
	}
	return seedDemoOnboardings(ctx, res, c, i)
}

// demoLabels vary the contacts' labels so that the demo shows lists of
// different lengths, the empty one included.
var demoLabels = [][]string{{"decision-maker", "billing"}, {"technical"}, {}, {"champion"}}

// seedDemoContacts adds two to four contacts to the i-th demo customer, the
// first of them primary, with addresses at the customer's domain.
func seedDemoContacts(ctx context.Context, res *resolvers.Resolver, c *model.Customer, i int, domain string) error {
	n := 2 + i%3
	for j := 0; j < n; j++ {
		p := demoPeople[(i+j)%len(demoPeople)]
		title, primary := p.title, j == 0
		if _, err := res.AddContact(ctx, c.ID, model.AddContactInput{
			Name: p.name, Email: p.local + "@" + domain, Title: &title, IsPrimary: &primary,
			Labels: demoLabels[(i+j)%len(demoLabels)],
		}); err != nil {
			return err
		}
	}
	return nil
}
