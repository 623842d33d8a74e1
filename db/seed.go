package db

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// SeedSpec sizes a bulk seed: Customers customers, each with ContactsPer
// contacts and OnboardingsPer onboardings.
type SeedSpec struct {
	Customers      int
	ContactsPer    int
	OnboardingsPer int
	// Dense spreads every filter value evenly (each status, state and phase
	// on a large share of the rows). Without it the data set is the
	// benchmark's: a few values are sparse so that list filters can be
	// measured matching 0.1 % of the rows or fewer (see Seed).
	Dense bool
	// Actor is recorded on each onboarding's creation transition ("API: seed").
	Actor string
}

// SeedResult counts what Seed inserted.
type SeedResult struct {
	Customers, Contacts, Onboardings int
}

// Seed bulk-inserts synthetic customers, contacts and onboardings into a
// workspace for benchmarks and demos, in one transaction of a handful of
// set-based statements. Each statement zips Go-made cuids with unnest (one
// pass over its arrays, never an array subscript per row, which is linear in
// the array's length and made the whole seed quadratic): 100,000 customers
// with 5 contacts and 3 onboardings each take seconds.
//
// It keeps every invariant the API keeps: display ids and strictly increasing
// created_at values come from the counters rows, which are advanced past the
// reserved ranges (and stay locked until commit, as nextStamp's are); contact
// emails are unique per customer with exactly one primary contact; onboardings
// have a valid phase and state (waiting iff waiting_on_customer, completed_at
// iff phase completed), started_at = created_at and a creation transition.
//
// Unless s.Dense, the values are skewed so that every documented list filter
// has a dense and a sparse value (the benchmark measures both):
//   - customers: status churned on 1 in 1,000 (0.1 %), the rest active,
//     onboarding or at_risk; each slug on one customer;
//   - onboardings: state paused on 1 in 1,000 and waiting on 1 in 2,000
//     (0.1 % and 0.05 %), the rest active or at_risk; phase internal_qa on
//     1 in 1,000, the other six phases evenly; every 100th onboarding belongs
//     to the oldest customer (a customer_id matching 1 % of the rows), the
//     others to their own customer in turn.
//
// With s.Dense every status, state and phase is common (the four statuses,
// four states and seven phases in turn) and onboardings are spread evenly.
func Seed(ctx context.Context, store *DB, workspaceID string, s SeedSpec) (SeedResult, error) {
	if s.Customers < 1 || s.ContactsPer < 0 || s.OnboardingsPer < 0 {
		return SeedResult{}, fmt.Errorf("db: seed: bad sizes %+v", s)
	}
	res := SeedResult{Customers: s.Customers, Contacts: s.Customers * s.ContactsPer, Onboardings: s.Customers * s.OnboardingsPer}
	customerIDs := newIDs(res.Customers)
	err := store.Transact(ctx, func(tx *sqlx.Tx) error {
		if err := seedCustomers(ctx, tx, workspaceID, customerIDs, s.Dense); err != nil {
			return err
		}
		if res.Contacts > 0 {
			if err := seedContacts(ctx, tx, workspaceID, customerIDs, s.ContactsPer); err != nil {
				return err
			}
		}
		if res.Onboardings > 0 {
			if err := seedOnboardings(ctx, tx, workspaceID, customerIDs, s.OnboardingsPer, s.Dense, s.Actor); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// newIDs returns n fresh cuids in ascending order: rows inserted in that order
// append to the right edge of every index led by (workspace_id, id) or
// (workspace_id, customer_id), instead of landing on random pages.
func newIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = NewID()
	}
	slices.Sort(ids)
	return ids
}

// reserveStamps advances the counter of kind by n and returns the first display
// id and created_at of the reserved range: row i (from 0) gets first+i and
// firstAt + i µs, all later than any earlier stamp of the kind.
func reserveStamps(ctx context.Context, q Queryer, workspaceID, kind string, n int) (first int64, firstAt time.Time, err error) {
	row := q.QueryRowxContext(ctx, `
		INSERT INTO counters AS c (workspace_id, kind, last_display_id, last_created_at)
		VALUES ($1, $2, $3::int, date_trunc('microseconds', clock_timestamp()) + ($3::int - 1) * interval '1 microsecond')
		ON CONFLICT (workspace_id, kind) DO UPDATE SET
			last_display_id = c.last_display_id + $3::int,
			last_created_at = greatest(date_trunc('microseconds', clock_timestamp()), c.last_created_at + interval '1 microsecond')
				+ ($3::int - 1) * interval '1 microsecond'
		RETURNING last_display_id - $3::int + 1, last_created_at - ($3::int - 1) * interval '1 microsecond'`,
		workspaceID, kind, n)
	err = row.Scan(&first, &firstAt)
	return first, firstAt, classify(err)
}

func seedCustomers(ctx context.Context, tx *sqlx.Tx, workspaceID string, ids []string, dense bool) error {
	first, firstAt, err := reserveStamps(ctx, tx, workspaceID, KindCustomer, len(ids))
	if err != nil {
		return err
	}
	// Slugs embed the display id, unique per workspace, so a second seed of the
	// same workspace cannot collide with the first.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO customers (workspace_id, id, display_id, name, slug, domain, status, plan, mrr,
			monthly_orders, metadata, created_at, updated_at)
		SELECT $1, u.id, d, name, slug, slug || '.example',
			CASE WHEN $5 THEN (ARRAY['active','onboarding','at_risk','churned'])[1 + g % 4]
				WHEN g % 1000 = 0 THEN 'churned'
				ELSE (ARRAY['active','onboarding','active','at_risk','active','at_risk'])[1 + g % 6] END,
			(ARRAY['starter','growth','enterprise'])[1 + g % 3],
			100 * (g % 97), 10 * (g % 503),
			json_build_object('seeded', true, 'region', (ARRAY['emea','amer','apac'])[1 + g % 3]),
			t, t
		FROM unnest($2::text[]) WITH ORDINALITY AS u(id, g),
			LATERAL (SELECT $3::bigint + g - 1 AS d,
				$4::timestamptz + (g - 1) * interval '1 microsecond' AS t) s,
			LATERAL (SELECT
				(ARRAY['Aurora','Birch','Cobalt','Dune','Ember','Fjord','Granite','Harbor','Indigo','Juniper'])[1 + g % 10]
				|| ' ' || (ARRAY['Outfitters','Coffee','Supply','Kitchenware','Knitting','Gear','Goods','Stationery','Cycling','Lighting','Juice'])[1 + g % 11]
				|| ' ' || d AS name,
				'seed-' || d AS slug) n`,
		workspaceID, pq.Array(ids), first, firstAt, dense)
	return classify(err)
}

func seedContacts(ctx context.Context, tx *sqlx.Tx, workspaceID string, customerIDs []string, per int) error {
	n := len(customerIDs) * per
	first, firstAt, err := reserveStamps(ctx, tx, workspaceID, KindContact, n)
	if err != nil {
		return err
	}
	// Row g belongs to customer c = (g-1)/per + 1 (its id zipped alongside) as
	// its k-th contact (k from 1); k makes the email unique within the
	// customer and k = 1 is the primary.
	owners := make([]string, 0, n)
	for _, id := range customerIDs {
		for range per {
			owners = append(owners, id)
		}
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO contacts (workspace_id, id, display_id, customer_id, name, email, title, is_primary,
			labels, created_at, updated_at)
		SELECT $1, u.id, $4::bigint + g - 1, u.cid,
			first || ' ' || last,
			lower(first) || '.' || k || '@customer' || ((g - 1) / $3 + 1) || '.example',
			(ARRAY['Founder','Head of Operations','E-commerce Manager','Marketing Lead',NULL])[1 + g % 5],
			k = 1,
			CASE WHEN k = 1 THEN ARRAY['primary'] ELSE '{}'::text[] END,
			t, t
		FROM unnest($2::text[], $5::text[]) WITH ORDINALITY AS u(cid, id, g),
			LATERAL (SELECT (g - 1) % $3 + 1 AS k, $6::timestamptz + (g - 1) * interval '1 microsecond' AS t) s,
			LATERAL (SELECT
				(ARRAY['Maya','Luis','Priya','Tom','Ada','Kenji','Sara','Omar','Lena'])[1 + g % 9] AS first,
				(ARRAY['Chen','Ortega','Natarajan','Becker','Lovelace','Sato','Berg','Haddad'])[1 + g % 8] AS last) n`,
		workspaceID, pq.Array(owners), per, first, pq.Array(newIDs(n)), firstAt)
	return classify(err)
}

// onboardingPhases are the phases in spec order; the seed spreads onboardings
// over all of them.
var onboardingPhases = []string{"before_getting_started", "program_design", "review",
	"program_buildout", "internal_qa", "launch", "completed"}

func seedOnboardings(ctx context.Context, tx *sqlx.Tx, workspaceID string, customerIDs []string, per int, dense bool, actor string) error {
	n := len(customerIDs) * per
	first, firstAt, err := reserveStamps(ctx, tx, workspaceID, KindOnboarding, n)
	if err != nil {
		return err
	}
	ids := newIDs(n)
	owners := make([]string, n)
	for i := range owners {
		owners[i] = customerIDs[i/per]
		if !dense && i%100 == 99 {
			owners[i] = customerIDs[0]
		}
	}
	// The sparse phase (internal_qa, index 5 of $6) is left out of the
	// rotation unless dense: 1 + g % 6 over the other six.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO onboardings (workspace_id, id, display_id, customer_id, name, phase, state,
			waiting_on_customer, started_at, completed_at, target_launch_date, notes, created_at, updated_at)
		SELECT $1, u.id, $3::bigint + g - 1, c.id, c.name || ' onboarding', phase, state,
			state = 'waiting', t, CASE WHEN phase = 'completed' THEN t END,
			date_trunc('day', t) + (30 + g % 60) * interval '1 day',
			CASE WHEN g % 4 = 0 THEN 'Seeded for benchmarks.' END,
			t, t
		FROM unnest($2::text[], $4::text[]) WITH ORDINALITY AS u(cid, id, g)
			JOIN customers c ON c.workspace_id = $1 AND c.id = u.cid,
			LATERAL (SELECT $5::timestamptz + (g - 1) * interval '1 microsecond' AS t,
				CASE WHEN $7 THEN ($6::text[])[1 + g % 7]
					WHEN g % 1000 = 500 THEN 'internal_qa'
					ELSE ($6::text[])[(ARRAY[1,2,3,4,6,7])[1 + g % 6]] END AS phase,
				CASE WHEN $7 THEN (ARRAY['active','paused','at_risk','waiting'])[1 + g % 4]
					WHEN g % 1000 = 0 THEN 'paused'
					WHEN g % 2000 = 1001 THEN 'waiting'
					ELSE (ARRAY['active','active','at_risk'])[1 + g % 3] END AS state) s`,
		workspaceID, pq.Array(owners), first, pq.Array(ids), firstAt, pq.Array(onboardingPhases), dense)
	if err != nil {
		return classify(err)
	}
	// Each onboarding's history starts with its creation: from nothing to its phase.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO phase_transitions (workspace_id, id, onboarding_id, from_phase, to_phase, actor, created_at)
		SELECT o.workspace_id, t.tid, o.id, NULL, o.phase, $4, o.created_at
		FROM unnest($2::text[], $3::text[]) AS t(oid, tid)
			JOIN onboardings o ON o.workspace_id = $1 AND o.id = t.oid`,
		workspaceID, pq.Array(ids), pq.Array(newIDs(n)), actor)
	return classify(err)
}
