package rest

import (
	"reflect"
	"testing"
	"time"

	"pivotal/gqltypes"
	"pivotal/graph/model"
)

// TestReadResourceRoundTrip: what Resource writes, ReadResource reads back as
// the same object, for each type of the event union; other objects read as nil.
func TestReadResourceRoundTrip(t *testing.T) {
	at := gqltypes.Time(time.Date(2026, 12, 5, 9, 30, 0, 123456000, time.UTC))
	later := gqltypes.Time(time.Time(at).Add(time.Hour))
	s := func(v string) *string { return &v }
	n := func(v int) *int { return &v }
	for _, obj := range []model.EventObject{
		&model.Customer{ID: "c1", DisplayID: 3, Name: "Acme", Slug: "acme", Domain: s("acme.test"), Status: model.CustomerStatusAtRisk,
			Plan: s("pro"), Mrr: n(100), MonthlyOrders: n(7), HubspotCompanyID: s("h"), SlackChannelID: s("C1"),
			Metadata: gqltypes.JSON(`{"b":1,"a":[true]}`), CreatedAt: at, UpdatedAt: later},
		&model.Contact{ID: "k1", DisplayID: 4, CustomerID: "c1", Name: "Ann", Email: "ann@acme.test", Title: s("CTO"),
			IsPrimary: true, Labels: []string{"x", "y"}, CreatedAt: at, UpdatedAt: later},
		&model.Onboarding{ID: "o1", DisplayID: 5, CustomerID: "c1", Name: "Launch", Phase: model.OnboardingPhaseInternalQa,
			State: model.OnboardingStateWaiting, WaitingOnCustomer: true, StartedAt: at, CompletedAt: &later,
			Notes: s("n"), RemindersEnabled: true, ReminderFrequencyDays: 2, CreatedAt: at, UpdatedAt: later},
	} {
		b, err := Resource(obj)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadResource(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, obj) {
			t.Errorf("read back %s as\n%+v\nwant\n%+v", b, got, obj)
		}
	}
	if got, err := ReadResource([]byte(`{"object":"webhook_endpoint","id":"ep_1"}`)); got != nil || err != nil {
		t.Errorf("an endpoint reads as %v, %v", got, err)
	}
	if _, err := ReadResource([]byte(`{"object":"customer","created_at":"yesterday","updated_at":"x"}`)); err == nil {
		t.Error("a malformed timestamp reads without error")
	}
}
