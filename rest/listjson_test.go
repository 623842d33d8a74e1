package rest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"pivotal/auth"
	"pivotal/db"
	"pivotal/db/dbtest"
	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

// TestMain gives the store tests of this package a PostgreSQL.
func TestMain(m *testing.M) { dbtest.Main(m) }

// TestListRowsMatchEncoder: every list page written from the store's rows
// (renderList) is byte for byte what rest's encoder prints for the same
// objects read the other way (FindCustomers, FindContacts, FindOnboardings and
// customerOut, contactOut, onboardingOut), whatever the text holds; and the
// comparison sees a one-byte difference.
func TestListRowsMatchEncoder(t *testing.T) {
	store, err := db.Open(dbtest.NewDatabase(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	res := resolvers.New(store, nil)
	ctx := context.Background()
	key, err := res.OperatorCreateKey(ctx, "acme", "k", false, "standard")
	if err != nil {
		t.Fatal(err)
	}
	id, err := res.Authenticate(ctx, "Bearer "+key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx = auth.WithIdentity(ctx, id)

	names := []string{"plain", `quote " and \ backslash`, "tab\tnewline\ncr\r", "bell\b form\f ctl\x01\x1f del\x7f",
		"<html> & ampersand", "Zoë – 東京 🚀", "emoji \U0001F600", "ünïcödé", "line\u2028sep\u2029par"}
	var customerIDs []string
	for i, n := range names {
		domain, plan := fmt.Sprintf("d%d.example", i), "p\"lan"
		mrr, orders := math.MaxInt32-i, 0 // the most an Int (32-bit) holds
		status := []model.CustomerStatus{model.CustomerStatusActive, model.CustomerStatusAtRisk}[i%2]
		in := model.CreateCustomerInput{Name: n, Status: &status,
			Metadata: gqltypes.JSON(fmt.Sprintf(`{"n": %d, "s":"x\"y\\u00e9\\n\u2028<>", "deep":{"a":[1, 2.5,-3e10,null,true]},"big":123456789012345678901234567890}`, i))}
		if i%2 == 0 {
			in.Domain, in.Plan, in.Mrr, in.MonthlyOrders = &domain, &plan, &mrr, &orders
		}
		c, err := res.CreateCustomer(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		customerIDs = append(customerIDs, c.ID)
		for j := 0; j < i%4; j++ {
			title := n
			kin := model.CreateContactInput{Name: n, Email: fmt.Sprintf("p%d.%d@example.com", i, j), Labels: []string{n, "vip", "with space", `q"{,}`}}
			if j%2 == 1 {
				kin.Title = &title
				kin.Labels = nil
			}
			if _, err := res.CreateContact(ctx, c.ID, kin); err != nil {
				t.Fatal(err)
			}
		}
		for j := 0; j < i%3+1; j++ {
			state := []model.OnboardingState{model.OnboardingStateActive, model.OnboardingStateWaiting, model.OnboardingStatePaused}[(i+j)%3]
			oin := model.CreateOnboardingInput{CustomerID: c.ID, Name: &names[(i+j)%len(names)], Notes: &n, State: &state}
			if j == 1 {
				date := "2026-07-15"
				oin.TargetLaunchDate = &date
			}
			if _, err := res.CreateOnboarding(ctx, oin); err != nil {
				t.Fatal(err)
			}
		}
	}
	active := model.CustomerStatusActive
	waiting, paused := model.OnboardingStateWaiting, model.OnboardingStatePaused
	slug := "plain"
	later := time.Now().Add(time.Hour)
	check := func(name string, got rawJSON, err error, want any) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w, err := Encode(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s: the rows' page differs from the encoder's:\n got %s\nwant %s", name, got, w)
		}
		// Negative control: a one-byte change is seen.
		flipped := append([]byte(nil), got...)
		flipped[len(flipped)/2] ^= 1
		if bytes.Equal(flipped, w) {
			t.Errorf("%s: a one-byte change went unnoticed", name)
		}
	}
	for _, c := range []struct {
		name string
		f    resolvers.CustomerFilter
		a    resolvers.ListArgs
	}{
		{"all", resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: 100}},
		{"page", resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: 3}},
		{"exact", resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: len(names)}},
		{"status", resolvers.CustomerFilter{Status: &active}, resolvers.ListArgs{Limit: 2}},
		{"slug", resolvers.CustomerFilter{Slug: &slug}, resolvers.ListArgs{Limit: 20}},
		{"before", resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: 2, Before: &later}},
		{"empty", resolvers.CustomerFilter{Slug: new(string)}, resolvers.ListArgs{Limit: 20}},
	} {
		page, err := res.CustomerRows(ctx, c.f, c.a)
		var got rawJSON
		if err == nil {
			got, err = renderList(page)
		}
		p, ferr := res.FindCustomers(ctx, c.f, c.a)
		if ferr != nil {
			t.Fatal(ferr)
		}
		out := make([]customerJSON, len(p.Customers))
		for i, cu := range p.Customers {
			out[i] = customerOut(cu)
		}
		check("customers "+c.name, got, err, newList(out, p.HasMore, func() gqltypes.Time { return p.Customers[len(p.Customers)-1].CreatedAt }))
	}
	for i, cid := range customerIDs {
		for _, limit := range []int{1, 2, 20} {
			a := resolvers.ListArgs{Limit: limit}
			page, err := res.ContactRows(ctx, cid, a)
			var got rawJSON
			if err == nil {
				got, err = renderList(page)
			}
			p, ferr := res.FindContacts(ctx, cid, a)
			if ferr != nil {
				t.Fatal(ferr)
			}
			out := make([]contactJSON, len(p.Contacts))
			for j, k := range p.Contacts {
				out[j] = contactOut(k)
			}
			check(fmt.Sprintf("contacts of %d, first %d", i, limit), got, err, newList(out, p.HasMore, func() gqltypes.Time { return p.Contacts[len(p.Contacts)-1].CreatedAt }))
		}
	}
	for _, c := range []struct {
		name     string
		customer *string
		f        resolvers.OnboardingFilter
		a        resolvers.ListArgs
	}{
		{"all", nil, resolvers.OnboardingFilter{}, resolvers.ListArgs{Limit: 100}},
		{"page", nil, resolvers.OnboardingFilter{}, resolvers.ListArgs{Limit: 4}},
		{"waiting", nil, resolvers.OnboardingFilter{State: &waiting}, resolvers.ListArgs{Limit: 100}},
		{"paused", nil, resolvers.OnboardingFilter{State: &paused}, resolvers.ListArgs{Limit: 2}},
		{"customer", &customerIDs[5], resolvers.OnboardingFilter{}, resolvers.ListArgs{Limit: 2}},
		{"customer filter", nil, resolvers.OnboardingFilter{CustomerID: &customerIDs[2]}, resolvers.ListArgs{Limit: 20}},
	} {
		page, err := res.OnboardingRows(ctx, c.customer, c.f, c.a)
		var got rawJSON
		if err == nil {
			got, err = renderList(page)
		}
		var p *resolvers.OnboardingPage
		var ferr error
		if c.customer != nil {
			p, ferr = res.FindCustomerOnboardings(ctx, *c.customer, c.f, c.a)
		} else {
			p, ferr = res.FindOnboardings(ctx, c.f, c.a)
		}
		if ferr != nil {
			t.Fatal(ferr)
		}
		out := make([]onboardingJSON, len(p.Onboardings))
		for i, o := range p.Onboardings {
			out[i] = onboardingOut(o)
		}
		check("onboardings "+c.name, got, err, newList(out, p.HasMore, func() gqltypes.Time { return p.Onboardings[len(p.Onboardings)-1].CreatedAt }))
	}

	// Single reads: by cuid and by display id, the row's object is the
	// encoder's; what a single read does not find is the same 404.
	deleted, err := res.CreateCustomer(ctx, model.CreateCustomerInput{Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	orphanContact, err := res.CreateContact(ctx, deleted.ID, model.CreateContactInput{Name: "orphan", Email: "orphan@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	orphanOnboarding, err := res.CreateOnboarding(ctx, model.CreateOnboardingInput{CustomerID: deleted.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.DeleteCustomer(ctx, deleted.ID); err != nil {
		t.Fatal(err)
	}
	object := func(name string, ent *resolvers.Entity, id string, want func(string) (any, error)) {
		t.Helper()
		page, err := res.Row(ctx, ent, id)
		var got rawJSON
		if err == nil {
			got, err = renderObject(page)
		}
		w, werr := want(id)
		if werr != nil || err != nil {
			if fmt.Sprint(err) != fmt.Sprint(werr) || err == nil || werr == nil {
				t.Errorf("%s: rows %v, encoder %v", name, err, werr)
			}
			return
		}
		check(name, got, nil, w)
	}
	customer := func(id string) (any, error) {
		c, err := res.FindCustomer(ctx, id)
		if err != nil {
			return nil, err
		}
		return customerOut(c), nil
	}
	contact := func(id string) (any, error) {
		k, err := res.FindContact(ctx, id)
		if err != nil {
			return nil, err
		}
		return contactOut(k), nil
	}
	onboarding := func(id string) (any, error) {
		o, err := res.FindOnboarding(ctx, id)
		if err != nil {
			return nil, err
		}
		return onboardingOut(o), nil
	}
	all, err := res.FindCustomers(ctx, resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all.Customers {
		object("customer "+c.Name, resolvers.CustomerEntity, c.ID, customer)
		object("customer by display id "+c.Name, resolvers.CustomerEntity, fmt.Sprint(c.DisplayID), customer)
		ks, err := res.FindContacts(ctx, c.ID, resolvers.ListArgs{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks.Contacts {
			object("contact", resolvers.ContactEntity, k.ID, contact)
			object("contact by display id", resolvers.ContactEntity, fmt.Sprint(k.DisplayID), contact)
		}
	}
	os, err := res.FindOnboardings(ctx, resolvers.OnboardingFilter{}, resolvers.ListArgs{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range os.Onboardings {
		object("onboarding", resolvers.OnboardingEntity, o.ID, onboarding)
		object("onboarding by display id", resolvers.OnboardingEntity, fmt.Sprint(o.DisplayID), onboarding)
	}
	for _, id := range []string{deleted.ID, fmt.Sprint(deleted.DisplayID), orphanContact.ID, fmt.Sprint(orphanContact.DisplayID),
		orphanOnboarding.ID, fmt.Sprint(orphanOnboarding.DisplayID), "zzz", "0", "99999", "c0000000000000000000000000"} {
		object("missing customer "+id, resolvers.CustomerEntity, id, customer)
		object("missing contact "+id, resolvers.ContactEntity, id, contact)
		object("missing onboarding "+id, resolvers.OnboardingEntity, id, onboarding)
	}
}
