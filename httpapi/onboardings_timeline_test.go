package httpapi

import (
	"fmt"
	"sync"
	"testing"
)

// Concurrent phase changes of one onboarding are serialized: the timeline is
// one unbroken chain (each entry starts where the previous one ended) that
// ends at the stored phase, with one entry per actual change.
func TestOnboardingConcurrentPhaseChanges(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")
	id := e.newOnboarding(key, cid, "")
	phases := []string{"program_design", "review", "program_buildout", "internal_qa", "launch", "completed"}
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := e.do("PATCH", "/api/v1/onboardings/"+id, key, fmt.Sprintf(`{"phase":%q}`, phases[i%len(phases)]))
			if r.Status != 200 {
				t.Errorf("PATCH: %d %s", r.Status, r.Body)
			}
		}(i)
	}
	wg.Wait()
	var chain []struct {
		From *string `db:"from_phase"`
		To   string  `db:"to_phase"`
	}
	if err := e.store.Select(&chain, `SELECT from_phase, to_phase FROM phase_transitions
		WHERE onboarding_id = $1 ORDER BY created_at`, id); err != nil {
		t.Fatal(err)
	}
	if len(chain) < 2 || chain[0].From != nil || chain[0].To != "before_getting_started" {
		t.Fatalf("timeline %+v", chain)
	}
	for i := 1; i < len(chain); i++ {
		if chain[i].From == nil || *chain[i].From != chain[i-1].To || chain[i].To == *chain[i].From {
			t.Fatalf("entry %d breaks the chain: %+v", i, chain)
		}
	}
	got := e.do("GET", "/api/v1/onboardings/"+id, key, "").json(t)
	if got["phase"] != chain[len(chain)-1].To {
		t.Errorf("stored phase %v, timeline ends at %s", got["phase"], chain[len(chain)-1].To)
	}
	// completed_at agrees with the final phase.
	if (got["phase"] == "completed") != (got["completed_at"] != nil) {
		t.Errorf("phase %v with completed_at %v", got["phase"], got["completed_at"])
	}
}

// A change the database refuses leaves neither the phase nor the timeline
// changed: the transition is written in the update's transaction.
func TestOnboardingRefusedChangeWritesNoTransition(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cid := e.newCustomer(key, "Aurora")
	id := e.newOnboarding(key, cid, "")
	e.do("PATCH", "/api/v1/onboardings/"+id, key, `{"phase":"review","notes":"a\u0000b"}`).expect(t, 400,
		`{"error":{"type":"invalid_request_error","code":"invalid_string","message":"$any"}}`)
	e.do("POST", "/api/v1/onboardings", key, `{"customer_id":"`+cid+`","phase":"review","name":"x\u0000"}`).expect(t, 400, "")
	var transitions, onboardings int
	e.store.Get(&transitions, `SELECT count(*) FROM phase_transitions`)
	e.store.Get(&onboardings, `SELECT count(*) FROM onboardings`)
	if transitions != 1 || onboardings != 1 {
		t.Errorf("%d transitions and %d onboardings, want 1 and 1", transitions, onboardings)
	}
	if p := e.do("GET", "/api/v1/onboardings/"+id, key, "").json(t)["phase"]; p != "before_getting_started" {
		t.Errorf("phase %v after a refused change", p)
	}
}
