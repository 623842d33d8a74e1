package httpapi

import (
	"context"
	"testing"

	"pivotal/db"
)

// TestSeedKeepsInvariants checks db.Seed (pivotal seed, the benchmark's data)
// against the rules the API keeps, around objects the API creates itself:
// display ids and created_at continue the counters, one primary contact per
// customer, valid onboardings with their creation transition.
func TestSeedKeepsInvariants(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	ctx := context.Background()
	e.do("POST", "/api/v1/customers", key, `{"name":"Before"}`).expect(t, 201, "")
	w, err := db.FindWorkspaceBySlug(ctx, e.store, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// Twice: the second seed continues the first (and its slugs do not collide).
	for _, s := range []db.SeedSpec{{Customers: 20, ContactsPer: 4, OnboardingsPer: 3}, {Customers: 5, ContactsPer: 2, OnboardingsPer: 1}} {
		s.Actor = "API: seed"
		n, err := db.Seed(ctx, e.store, w.ID, s)
		if err != nil {
			t.Fatal(err)
		}
		if n.Customers != s.Customers || n.Contacts != s.Customers*s.ContactsPer || n.Onboardings != s.Customers*s.OnboardingsPer {
			t.Fatalf("seed %+v reported %+v", s, n)
		}
	}
	after := e.do("POST", "/api/v1/customers", key, `{"name":"After"}`)
	after.expect(t, 201, `{"object":"customer","id":"$cuid","display_id":27,"name":"After","slug":"after",`+customerDefaults+`}`)
	// Newest first: the API's customer, then the last seeded one.
	e.do("GET", "/api/v1/customers?limit=2", key, "").expect(t, 200, `{"object":"list","data":[
		{"object":"customer","id":"$cuid","display_id":27,"name":"After","slug":"after",`+customerDefaults+`},
		{"object":"customer","id":"$cuid","display_id":26,"name":"$any","slug":"seed-26","domain":"seed-26.example",
		 "status":"$any","plan":"$any","mrr":"$any","monthly_orders":"$any","hubspot_company_id":null,"hubspot_deal_id":null,
		 "stripe_customer_id":null,"intercom_company_id":null,"slack_channel_id":null,"metadata":"$any",
		 "created_at":"$time","updated_at":"$time"}],"has_more":true,"next_cursor":"$any"}`)

	// Each check is a query that returns the offending rows' count: 0 passes.
	checks := map[string]string{
		"customer display ids are 1..27 in created_at order": `SELECT count(*) FROM (
			SELECT display_id, row_number() OVER (ORDER BY created_at) AS rn, count(*) OVER () AS n FROM customers WHERE workspace_id = $1) x
			WHERE display_id <> rn OR n <> 27`,
		"contact display ids are 1..90 in created_at order": `SELECT count(*) FROM (
			SELECT display_id, row_number() OVER (ORDER BY created_at) AS rn, count(*) OVER () AS n FROM contacts WHERE workspace_id = $1) x
			WHERE display_id <> rn OR n <> 90`,
		"onboarding display ids are 1..65 in created_at order": `SELECT count(*) FROM (
			SELECT display_id, row_number() OVER (ORDER BY created_at) AS rn, count(*) OVER () AS n FROM onboardings WHERE workspace_id = $1) x
			WHERE display_id <> rn OR n <> 65`,
		"counters hold the last stamps": `SELECT count(*) FROM counters c WHERE c.workspace_id = $1 AND (c.last_display_id, c.last_created_at) <>
			(SELECT max(display_id), max(created_at) FROM (
				SELECT display_id, created_at, 'customer' AS kind FROM customers WHERE workspace_id = $1
				UNION ALL SELECT display_id, created_at, 'contact' FROM contacts WHERE workspace_id = $1
				UNION ALL SELECT display_id, created_at, 'onboarding' FROM onboardings WHERE workspace_id = $1) a WHERE a.kind = c.kind)`,
		"seeded customers have one primary contact": `SELECT count(*) FROM customers c WHERE c.workspace_id = $1 AND c.slug LIKE 'seed-%'
			AND (SELECT count(*) FROM contacts k WHERE k.workspace_id = $1 AND k.customer_id = c.id AND k.is_primary) <> 1`,
		"contact emails are lowercase and unique per customer": `SELECT count(*) FROM contacts k WHERE k.workspace_id = $1
			AND (k.email <> lower(k.email) OR EXISTS (SELECT 1 FROM contacts o WHERE o.workspace_id = $1
				AND o.customer_id = k.customer_id AND o.email = k.email AND o.id <> k.id))`,
		"onboardings are valid": `SELECT count(*) FROM onboardings WHERE workspace_id = $1 AND NOT (
			phase IN ('before_getting_started','program_design','review','program_buildout','internal_qa','launch','completed')
			AND state IN ('active','paused','at_risk','waiting')
			AND (state = 'waiting') = waiting_on_customer
			AND (phase = 'completed') = (completed_at IS NOT NULL)
			AND started_at = created_at AND updated_at = created_at
			AND name = (SELECT c.name FROM customers c WHERE c.workspace_id = $1 AND c.id = customer_id) || ' onboarding')`,
		"each onboarding has its creation transition": `SELECT count(*) FROM onboardings o WHERE o.workspace_id = $1 AND 1 <> (
			SELECT count(*) FROM phase_transitions p WHERE p.workspace_id = $1 AND p.onboarding_id = o.id
				AND p.from_phase IS NULL AND p.to_phase = o.phase AND p.actor = 'API: seed' AND p.created_at = o.created_at)`,
		"seeded children belong to seeded customers": `SELECT count(*) FROM (
			SELECT customer_id FROM contacts WHERE workspace_id = $1 UNION ALL SELECT customer_id FROM onboardings WHERE workspace_id = $1) x
			JOIN customers c ON c.workspace_id = $1 AND c.id = x.customer_id WHERE c.slug NOT LIKE 'seed-%'`,
	}
	for name, q := range checks {
		var bad int
		if err := e.store.GetContext(ctx, &bad, q, w.ID); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bad != 0 {
			t.Errorf("%s: %d rows break it", name, bad)
		}
	}
}

// TestSeedSparseAndDense checks the shares db.Seed promises, which the
// benchmark's dense and sparse list filters rely on: without Dense, status
// churned, state paused and waiting and phase internal_qa match 0.1 % of the
// rows or fewer (and at least one row), and the oldest customer owns 1 % of
// the onboardings; with Dense, every one of them is common.
func TestSeedSparseAndDense(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	shares := func(ws string, dense bool) map[string]float64 {
		e.key(ws)
		w, err := db.FindWorkspaceBySlug(ctx, e.store, ws)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Seed(ctx, e.store, w.ID, db.SeedSpec{Customers: 2000, OnboardingsPer: 3, Dense: dense, Actor: "API: seed"}); err != nil {
			t.Fatal(err)
		}
		var churned, paused, waiting, qa, oldest float64
		err = e.store.QueryRowContext(ctx, `SELECT
			(SELECT avg((status = 'churned')::int) FROM customers WHERE workspace_id = $1),
			(SELECT avg((state = 'paused')::int) FROM onboardings WHERE workspace_id = $1),
			(SELECT avg((state = 'waiting')::int) FROM onboardings WHERE workspace_id = $1),
			(SELECT avg((phase = 'internal_qa')::int) FROM onboardings WHERE workspace_id = $1),
			(SELECT avg((customer_id = (SELECT id FROM customers WHERE workspace_id = $1 ORDER BY created_at LIMIT 1))::int)
				FROM onboardings WHERE workspace_id = $1)`, w.ID).Scan(&churned, &paused, &waiting, &qa, &oldest)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]float64{"churned": churned, "paused": paused, "waiting": waiting, "internal_qa": qa, "oldest customer": oldest}
	}
	for name, share := range shares("sparse", false) {
		switch {
		case name == "oldest customer" && (share < 0.009 || share > 0.011):
			t.Errorf("sparse seed: the oldest customer owns %.4f of the onboardings, want 1 %%", share)
		case name != "oldest customer" && (share <= 0 || share > 0.001):
			t.Errorf("sparse seed: %s on %.4f of the rows, want (0, 0.1 %%]", name, share)
		}
	}
	for name, share := range shares("dense", true) {
		if name != "oldest customer" && share < 0.1 {
			t.Errorf("dense seed: %s on %.4f of the rows, want at least 10 %%", name, share)
		}
	}
}
