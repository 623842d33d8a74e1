package main

import (
	"context"
	"fmt"

	"pivotal/auth"
	"pivotal/graph/model"
	"pivotal/resolvers"

	"github.com/99designs/gqlgen/graphql"
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

// demoOnboardingStages spread the demo's onboardings across the pipeline, so
// that filters and the timeline have something to show.
var demoOnboardingStages = []struct {
	phase model.OnboardingPhase
	state model.OnboardingState
}{
	{model.OnboardingPhaseBeforeGettingStarted, model.OnboardingStateActive},
	{model.OnboardingPhaseProgramDesign, model.OnboardingStateWaiting},
	{model.OnboardingPhaseReview, model.OnboardingStateActive},
	{model.OnboardingPhaseProgramBuildout, model.OnboardingStateAtRisk},
	{model.OnboardingPhaseInternalQa, model.OnboardingStatePaused},
	{model.OnboardingPhaseLaunch, model.OnboardingStateActive},
	{model.OnboardingPhaseCompleted, model.OnboardingStateActive},
}

// seedDemoOnboardings gives demo customer number i one onboarding (two for
// every third customer: a finished one and its follow-up), created at the
// first phase and then moved forward through the API's rules so that each has
// a timeline.
func seedDemoOnboardings(ctx context.Context, res *resolvers.Resolver, c *model.Customer, i int) error {
	n := 1
	if i%3 == 0 {
		n = 2
	}
	for j := 0; j < n; j++ {
		stage := demoOnboardingStages[(i+j*3)%len(demoOnboardingStages)]
		name := c.Name + " onboarding"
		if j > 0 {
			name = fmt.Sprintf("%s expansion %d", c.Name, j)
		}
		launch := fmt.Sprintf("2026-%02d-15", 1+(i+j)%12)
		csm := []string{"csm_ana", "csm_ben", "csm_chloe"}[i%3]
		notes := "Seeded for the demo."
		o, err := res.CreateOnboarding(ctx, model.CreateOnboardingInput{
			CustomerID: c.ID, Name: &name, TargetLaunchDate: &launch, CsmID: &csm, Notes: &notes,
		})
		if err != nil {
			return err
		}
		// Walk the phases in order up to the stage, as a team would.
		for _, p := range model.AllOnboardingPhase[1:] {
			if indexOfPhase(p) > indexOfPhase(stage.phase) {
				break
			}
			if _, err := res.UpdateOnboarding(ctx, o.ID, model.UpdateOnboardingInput{Phase: graphql.OmittableOf(&p)}); err != nil {
				return err
			}
		}
		if stage.state != model.OnboardingStateActive {
			st := stage.state
			if _, err := res.UpdateOnboarding(ctx, o.ID, model.UpdateOnboardingInput{State: graphql.OmittableOf(&st)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func indexOfPhase(p model.OnboardingPhase) int {
	for i, q := range model.AllOnboardingPhase {
		if q == p {
			return i
		}
	}
	return -1
}
