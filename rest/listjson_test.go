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

// TestCustomersListJSONMatchesEncoder: the list page PostgreSQL renders is
// byte for byte what rest's own encoder prints for the same rows, whatever the
// text holds.
func TestCustomersListJSONMatchesEncoder(t *testing.T) {
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
		"<html> & ampersand", "Zoë – 東京 🚀", "emoji \U0001F600", "ünïcödé"}
	for i, n := range names {
		domain, plan := fmt.Sprintf("d%d.example", i), "p\"lan"
		mrr, orders := math.MaxInt32-i, 0 // the most an Int (32-bit) holds
		status := []model.CustomerStatus{model.CustomerStatusActive, model.CustomerStatusAtRisk}[i%2]
		in := model.CreateCustomerInput{Name: n, Status: &status,
			Metadata: gqltypes.JSON(fmt.Sprintf(`{"n":%d,"s":"x\"y\\u00e9\\n","deep":{"a":[1,2.5,-3e10,null,true]},"big":123456789012345678901234567890}`, i))}
		if i%2 == 0 {
			in.Domain, in.Plan, in.Mrr, in.MonthlyOrders = &domain, &plan, &mrr, &orders
		}
		if _, err := res.CreateCustomer(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	active := model.CustomerStatusActive
	slug := "plain"
	later := time.Now().Add(time.Hour)
	cases := []struct {
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
	}
	for _, c := range cases {
		got, ok, err := res.CustomersListJSON(ctx, c.f, c.a)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", c.name, ok, err)
		}
		p, err := res.FindCustomers(ctx, c.f, c.a)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]customerJSON, len(p.Customers))
		for i, cu := range p.Customers {
			out[i] = customerOut(cu)
		}
		want, err := Encode(newList(out, p.HasMore, func() gqltypes.Time { return p.Customers[len(p.Customers)-1].CreatedAt }))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: PostgreSQL's page differs from the encoder's:\n got %s\nwant %s", c.name, got, want)
		}
	}

	// A line separator is escaped by encoding/json and not by PostgreSQL: that
	// page is left to the encoder.
	if _, err := res.CreateCustomer(ctx, model.CreateCustomerInput{Name: "line\u2028sep"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := res.CustomersListJSON(ctx, resolvers.CustomerFilter{}, resolvers.ListArgs{Limit: 100}); ok || err != nil {
		t.Errorf("a page holding U+2028 must go to the encoder (ok %v, err %v)", ok, err)
	}
}
