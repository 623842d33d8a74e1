package main

import (
	"context"
	"fmt"

	"pivotal/auth"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

// demoCustomers seed the demo workspace: a dozen companies at various stages.
var demoCustomers = []struct {
	name, domain, plan string
	status             model.CustomerStatus
	mrr                int
}{
	{"Aurora Outfitters", "aurora.example", "growth", model.CustomerStatusActive, 4200},
	{"Birch & Bloom", "birchbloom.example", "starter", model.CustomerStatusOnboarding, 900},
	{"Cobalt Coffee Co.", "cobalt.example", "growth", model.CustomerStatusActive, 3100},
	{"Dune Surf Supply", "dunesurf.example", "enterprise", model.CustomerStatusAtRisk, 12800},
	{"Ember Kitchenware", "ember.example", "growth", model.CustomerStatusOnboarding, 2500},
	{"Fjord Knitting", "fjord.example", "starter", model.CustomerStatusActive, 650},
	{"Granite Gym Gear", "granite.example", "enterprise", model.CustomerStatusActive, 15400},
	{"Harbor Home Goods", "harbor.example", "growth", model.CustomerStatusChurned, 0},
	{"Indigo Ink Stationery", "indigo.example", "starter", model.CustomerStatusOnboarding, 480},
	{"Juniper Juice Bar", "juniper.example", "growth", model.CustomerStatusActive, 2750},
	{"Kestrel Cycling", "kestrel.example", "enterprise", model.CustomerStatusOnboarding, 9900},
	{"Lumen Lighting", "lumen.example", "growth", model.CustomerStatusArchived, 0},
}

var demoPeople = []struct{ name, local, title string }{
	{"Maya Chen", "maya", "Head of Operations"},
	{"Luis Ortega", "luis", "E-commerce Manager"},
	{"Priya Natarajan", "priya", "Founder"},
	{"Tom Becker", "tom", "Marketing Lead"},
}

// seedDemo makes a fresh test key for the demo workspace and, on first start,
// fills the workspace through the same rules the API uses.
func seedDemo(ctx context.Context, res *resolvers.Resolver) (string, error) {
	k, err := res.OperatorCreateKey(ctx, "demo", "demo", true, "standard")
	if err != nil {
		return "", err
	}
	id, err := res.Authenticate(ctx, "Bearer "+k.Secret)
	if err != nil {
		return "", err
	}
	ctx = auth.WithIdentity(ctx, id)
	existing, err := res.FindCustomers(ctx, resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: 1})
	if err != nil {
		return "", err
	}
	if len(existing.Customers) > 0 {
		return k.Secret, nil
	}
	for i, dc := range demoCustomers {
		domain, plan, status, mrr := dc.domain, dc.plan, dc.status, dc.mrr
		c, err := res.CreateCustomer(ctx, model.CreateCustomerInput{
			Name: dc.name, Domain: &domain, Plan: &plan, Status: &status, Mrr: &mrr,
			Metadata: []byte(fmt.Sprintf(`{"region":%q,"seeded":true}`, []string{"emea", "amer", "apac"}[i%3])),
		})
		if err != nil {
			return "", err
		}
		if err := seedDemoChildren(ctx, res, c, i, dc.domain); err != nil {
			return "", err
		}
	}
	return k.Secret, nil
}
