package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

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

// demoKeyFile holds the demo key's cleartext in the data directory, so that
// every start reuses one key (the database keeps only its hash).
const demoKeyFile = "pivotal-demo-key"

// startDemo fills the demo workspace on first start, gets its key and says
// where to use it. The key goes in the GraphiQL page (returned as headers)
// only when the server listens on a loopback address (addr, the listener's
// address; asked is --addr as given, for the message): the page needs no key
// to load, so on any other address it would hand the key to whoever asks.
func startDemo(ctx context.Context, res *resolvers.Resolver, dataDir, asked string, addr net.Addr, stdout io.Writer, log *slog.Logger) (map[string]string, error) {
	key, err := demoKey(ctx, res, dataDir)
	if err != nil {
		return nil, err
	}
	if err := seedDemo(ctx, res, key); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "Demo workspace ready (workspace %q).\n  test key: %s\n  GraphiQL: http://%s/graphiql\n", "demo", key, addr)
	if !isLoopback(addr) {
		fmt.Fprintf(stdout, "  The key is not in the GraphiQL page: the server listens on %s, which is not a loopback\n"+
			"  address, and the page is served without a key to anyone who can reach it. Paste it into the\n"+
			"  page's Headers tab: {\"Authorization\": \"Bearer %s\"}\n", asked, key)
		log.Info("demo key not embedded in the GraphiQL page: not a loopback address", "addr", addr.String())
		return nil, nil
	}
	return map[string]string{"Authorization": "Bearer " + key}, nil
}

// isLoopback reports whether addr can be reached from this machine only.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// demoKey returns the demo workspace's test key: the one saved in the data
// directory while it still works, else a new one, saved there, which revokes
// the demo keys made before it. Restarts reuse one key; old ones do not pile up.
func demoKey(ctx context.Context, res *resolvers.Resolver, dataDir string) (string, error) {
	path := filepath.Join(dataDir, demoKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if id, err := res.Authenticate(ctx, "Bearer "+key); err == nil && id.WorkspaceSlug == "demo" && id.KeyName == "demo" {
			return key, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	k, err := res.OperatorCreateKey(ctx, "demo", "demo", true, "standard")
	if err != nil {
		return "", err
	}
	if err := writeSecretFile(path, k.Secret+"\n"); err != nil {
		return "", err
	}
	old, err := res.OperatorListKeys(ctx, "demo")
	if err != nil {
		return "", err
	}
	for _, o := range old {
		if o.Name == "demo" && o.ID != k.Key.ID && o.RevokedAt == nil {
			if _, _, err := res.OperatorRevokeKey(ctx, o.ID); err != nil {
				return "", err
			}
		}
	}
	return k.Secret, nil
}

// writeSecretFile replaces path with content, readable by this user only.
func writeSecretFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demo-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// seedDemo fills the demo workspace, on first start only, through the same
// rules the API uses, acting with the demo key.
func seedDemo(ctx context.Context, res *resolvers.Resolver, key string) error {
	id, err := res.Authenticate(ctx, "Bearer "+key)
	if err != nil {
		return err
	}
	ctx = auth.WithIdentity(ctx, id)
	existing, err := res.FindCustomers(ctx, resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: 1})
	if err != nil {
		return err
	}
	if len(existing.Customers) > 0 {
		return nil
	}
	for i, dc := range demoCustomers {
		domain, plan, status, mrr := dc.domain, dc.plan, dc.status, dc.mrr
		c, err := res.CreateCustomer(ctx, model.CreateCustomerInput{
			Name: dc.name, Domain: &domain, Plan: &plan, Status: &status, Mrr: &mrr,
			Metadata: []byte(fmt.Sprintf(`{"region":%q,"seeded":true}`, []string{"emea", "amer", "apac"}[i%3])),
		})
		if err != nil {
			return err
		}
		if err := seedDemoChildren(ctx, res, c, i, dc.domain); err != nil {
			return err
		}
	}
	return nil
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
		if _, err := res.CreateContact(ctx, c.ID, model.CreateContactInput{
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
