package db_test

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"pivotal/db"
)

// TestLevelStatementsKeepAGenericPlan: a level statement is prepared once per
// connection, and PostgreSQL plans a prepared statement for the values at
// hand for its first five executions, then keeps its generic plan unless that
// looks dearer than the custom ones. When the custom plans could see that the
// root page asks one row of the arrays, or that a workspace is much smaller
// than the average, and the generic plan could not, PostgreSQL planned the
// statement again at every execution (0.1–0.2 ms each). After eight
// executions in a small workspace beside a large one, pg_prepared_statements
// must count generic plans.
func TestLevelStatementsKeepAGenericPlan(t *testing.T) {
	store := open(t, db.Options{})
	ctx := context.Background()
	ws, err := db.EnsureWorkspace(ctx, store, "plans", "Plans")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Seed(ctx, store, ws.ID, db.SeedSpec{Customers: 50, ContactsPer: 2, OnboardingsPer: 1}); err != nil {
		t.Fatal(err)
	}
	// A much larger tenant beside it: its rows make the small workspace's
	// custom plans look cheaper than the generic plan (estimated for an
	// average workspace), which PostgreSQL then never switches to.
	big, err := db.EnsureWorkspace(ctx, store, "plans-big", "Plans big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Seed(ctx, store, big.ID, db.SeedSpec{Customers: 3000, ContactsPer: 2, OnboardingsPer: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	conn, err := store.Conn(ctx) // PREPARE and EXECUTE on one session
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, c := range []struct {
		name  string
		level db.Level
		args  string
	}{
		{"root page", db.Level{Table: db.TableCustomers, Rel: db.RelRoot, Columns: []string{"id", "name", "created_at"}},
			`'{0}', '{""}', '{21}', '{infinity}'`},
		{"root page by status", db.Level{Table: db.TableCustomers, Rel: db.RelRoot, Columns: []string{"id"}, Filters: db.FilterStatus},
			`'{0}', '{""}', '{21}', '{infinity}', '{active}'`},
		{"one row by id", db.Level{Table: db.TableContacts, Rel: db.RelGetID, Columns: []string{"id", "email"}},
			`'{0}', '{x}', '{2}', '{infinity}'`},
	} {
		query, err := c.level.SQL()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `PREPARE lvl AS `+query); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		execute := `EXECUTE lvl('` + ws.ID + `', ` + c.args + `)`
		for range 8 {
			if _, err := conn.ExecContext(ctx, execute); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		// PostgreSQL counts the plans it made of a prepared statement.
		var generic, custom int
		if err := conn.QueryRowContext(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'lvl'`).Scan(&generic, &custom); err != nil {
			t.Fatal(err)
		}
		if custom > 5 || generic < 3 {
			t.Errorf("%s in the small workspace: %d custom plans and %d generic after 8 executions: PostgreSQL plans it again at each", c.name, custom, generic)
		}
		if _, err := conn.ExecContext(ctx, `DEALLOCATE lvl`); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendTimeIsTimeLayout(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", -(9*3600 + 30*60)), time.FixedZone("", 14*3600)}
	instants := []time.Time{
		time.Date(2026, 12, 5, 15, 55, 38, 123456789, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 1000, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 999, time.UTC),
		time.Date(-44, 3, 15, 12, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		instants = append(instants, time.Unix(r.Int64N(400*365*86400)-200*365*86400, r.Int64N(1e9)))
	}
	for _, at := range instants {
		for _, z := range zones {
			in := at.In(z)
			want := in.UTC().AppendFormat([]byte("x"), db.TimeLayout)
			if got := db.AppendTime([]byte("x"), in); string(got) != string(want) {
				t.Fatalf("%v: got %s, want %s", in, got, want)
			}
		}
	}
}

// TestTimestamptzRecvReadsPostgreSQLsBinaryForm: levels select instants with
// timestamptz_send; what Go reads of those bytes must be the instant
// PostgreSQL prints, before and after its epoch, to the microsecond.
func TestTimestamptzRecvReadsPostgreSQLsBinaryForm(t *testing.T) {
	store := open(t, db.Options{})
	rows, err := store.Query(`SELECT encode(timestamptz_send(x), 'hex'), to_char(x AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
		FROM unnest(ARRAY['2026-12-05 15:55:38.123456+00', '2000-01-01 00:00:00+00', '1999-12-31 23:59:59.999999+00',
			'1970-01-01 00:00:00.000001+00', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00',
			'2000-01-01 00:00:00.000001-01:30', '1969-07-20 20:17:40.5+00']::timestamptz[]) AS x`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var hexed, want string
		if err := rows.Scan(&hexed, &want); err != nil {
			t.Fatal(err)
		}
		b, err := hex.DecodeString(hexed)
		if err != nil {
			t.Fatal(err)
		}
		at, err := db.TimestamptzRecv(b)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if got := string(db.AppendTime(nil, at)); got != want {
			t.Errorf("timestamptz_send of %s read as %s", want, got)
		}
		n++
	}
	if err := rows.Err(); err != nil || n != 8 {
		t.Fatalf("%d instants, %v", n, err)
	}
	for _, bad := range []string{"7fffffffffffffff", "8000000000000000", "00"} {
		b, _ := hex.DecodeString(bad)
		if _, err := db.TimestamptzRecv(b); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestPreparedLevelsAreBoundedPerConnection: every shape of read prepares a
// statement on the connection it runs on, and the server keeps each one's
// plans; past the bound the least recently used is closed on the server too.
func TestPreparedLevelsAreBoundedPerConnection(t *testing.T) {
	store := open(t, db.Options{MaxOpenConns: 1}) // one connection: all on it
	ctx := context.Background()
	ws, err := db.EnsureWorkspace(ctx, store, "shapes", "Shapes")
	if err != nil {
		t.Fatal(err)
	}
	cols := db.Columns(db.TableCustomers)
	shapes := 0
	for i := range cols {
		for j := i; j < len(cols) && shapes < 100; j++ {
			l := db.Level{Table: db.TableCustomers, Rel: db.RelRoot, Columns: []string{cols[i]}}
			if j > i {
				l.Columns = append(l.Columns, cols[j])
			}
			if err := l.Query(ctx, store, ws.ID, []db.Ask{{Limit: 1}}, 0, &db.Rows{}); err != nil {
				t.Fatalf("%v: %v", l.Columns, err)
			}
			shapes++
		}
	}
	var prepared int
	if err := store.QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements`).Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if shapes != 100 || prepared == 0 || prepared > 64 {
		t.Fatalf("%d shapes read left %d statements prepared on the connection, want 1 to 64", shapes, prepared)
	}
}
