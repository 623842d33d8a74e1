package db

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A level statement reads plain rows for one level of a read: the root page,
// or the pages (or single rows) of many parents at once. It selects columns
// only; the caller writes the response from the rows. Its text depends on the
// table, the relation to the parent, the columns and which filters are set,
// never on how many parents or pages are asked: every parent's key, page size,
// cursor and filter values are array parameters, one element per Ask.

// Table names a table a level reads.
type Table string

const (
	TableCustomers        Table = "customers"
	TableContacts         Table = "contacts"
	TableOnboardings      Table = "onboardings"
	TablePhaseTransitions Table = "phase_transitions"
)

// tableColumns are the columns a level may select from each table, in the
// order every statement lists them. Names never come from a request.
var tableColumns = map[Table][]string{
	TableCustomers: {"id", "display_id", "name", "slug", "domain", "status", "plan", "mrr", "monthly_orders",
		"hubspot_company_id", "hubspot_deal_id", "stripe_customer_id", "intercom_company_id", "slack_channel_id",
		"metadata", "created_at", "updated_at"},
	TableContacts: {"id", "display_id", "customer_id", "name", "email", "title", "is_primary", "labels",
		"created_at", "updated_at"},
	TableOnboardings: {"id", "display_id", "customer_id", "name", "template_id", "phase", "state",
		"waiting_on_customer", "started_at", "completed_at", "target_launch_date", "csm_id", "se_id",
		"designer_id", "product_ops_id", "notes", "reminders_enabled", "reminder_frequency_days",
		"created_at", "updated_at"},
	TablePhaseTransitions: {"id", "onboarding_id", "from_phase", "to_phase", "actor", "created_at"},
}

// timeColumns hold instants (timestamptz). A level selects them in their
// binary form (timestamptz_send) and Rows keeps them in TimeLayout.
var timeColumns = map[string]bool{"created_at": true, "updated_at": true, "started_at": true,
	"completed_at": true, "target_launch_date": true}

// TimeLayout is how a level stores an instant: UTC, six fractional digits, Z.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// timestamptzRecv reads a timestamptz's binary form: microseconds since
// 2000-01-01 00:00 UTC, a big-endian int64. ±infinity are refused (no column
// a level reads holds them).
func timestamptzRecv(b []byte) (time.Time, error) {
	if len(b) != 8 {
		return time.Time{}, fmt.Errorf("db: an instant's binary form has 8 bytes, not %d", len(b))
	}
	us := int64(binary.BigEndian.Uint64(b))
	if us == math.MaxInt64 || us == math.MinInt64 {
		return time.Time{}, errors.New("db: an infinite instant")
	}
	const postgresEpoch = 946684800                               // 2000-01-01 00:00 UTC in Unix seconds
	return time.Unix(postgresEpoch+us/1e6, us%1e6*1e3).UTC(), nil // Unix takes a negative fraction
}

// appendTime appends t in TimeLayout: what t.UTC().AppendFormat(dst,
// TimeLayout) appends for a year from 0 to 9999, without parsing the layout
// for each of a read's hundreds of instants.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, TimeLayout)
	}
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1000, 6)
	return append(dst, 'Z')
}

// appendDigits appends n (≥ 0) in width decimal digits, zero-padded.
func appendDigits(dst []byte, n, width int) []byte {
	var b [8]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, b[:width]...)
}

// Columns returns the columns a level may select from t, in statement order.
func Columns(t Table) []string { return tableColumns[t] }

// Relation says which rows of a level belong to an Ask's key.
type Relation int

const (
	// RelRoot: a page of the workspace's visible rows (Ask.Key unused).
	// Onboardings are visible only while their customer is.
	RelRoot Relation = iota
	// RelCustomer: a page of the rows whose customer_id is the key.
	RelCustomer
	// RelID: the visible row whose id is the key.
	RelID
	// RelPrimary: the visible primary contact of customer key.
	RelPrimary
	// RelOnboarding: every row of onboarding key (phase transitions), newest first.
	RelOnboarding
	// RelGetID and RelGetDisplayID: the visible row whose id (display id) is
	// the key, as a single read finds it: contacts and onboardings only while
	// their customer is visible.
	RelGetID
	RelGetDisplayID
)

// Filter is a set of row filters a level applies.
type Filter uint8

const (
	FilterStatus  Filter = 1 << iota // customers.status = Ask.Status
	FilterSlug                       // customers.slug = Ask.Slug
	FilterPhase                      // onboardings.phase = Ask.Phase
	FilterState                      // onboardings.state = Ask.State
	FilterWaiting                    // onboardings waiting on the customer
	// FilterEither takes phase and state from every Ask, "" meaning any, and
	// state "waiting" meaning waiting on the customer: one statement for
	// asks filtered differently (pages of many parents, read by an index per
	// parent, so the filter is applied to few rows).
	FilterEither
)

// Level is the shape of one level statement.
type Level struct {
	Table    Table
	Rel      Relation
	Columns  []string // a subset of Columns(Table), in its order
	Filters  Filter
	paged    bool
	prepared string
	isTime   []bool // per column: an instant, selected in its binary form
}

// Ask is one page (or row) asked of a level.
type Ask struct {
	// Key is the parent's id (or customer id) the rows belong to.
	Key string
	// Limit is how many rows to read at most (a page and its lookahead).
	Limit int
	// Before, when set, keeps rows created strictly before it.
	Before                     *time.Time
	Status, Slug, Phase, State string
}

// SQL returns the level's statement text.
func (l *Level) SQL() (string, error) {
	if l.prepared != "" {
		return l.prepared, nil
	}
	allowed := tableColumns[l.Table]
	if allowed == nil || len(l.Columns) == 0 {
		return "", fmt.Errorf("db: no level over %q", l.Table)
	}
	cols, isTime := make([]string, len(l.Columns)), make([]bool, len(l.Columns))
	next := 0
	for i, c := range l.Columns {
		for next < len(allowed) && allowed[next] != c {
			next++
		}
		if next == len(allowed) {
			return "", fmt.Errorf("db: column %s.%s unknown or out of order", l.Table, c)
		}
		cols[i] = "t." + c
		isTime[i] = timeColumns[c]
	}
	var b strings.Builder
	b.WriteString("SELECT a.n")
	for i, c := range cols {
		if isTime[i] {
			// An instant's binary form: PostgreSQL sends its 8 bytes
			// instead of formatting it as text (measured: 14 % less
			// database time for a page of onboardings' two instants),
			// and Go formats it without parsing text.
			b.WriteString(", timestamptz_send(" + c + ")")
		} else {
			b.WriteString(", " + c)
		}
	}
	// The parameters pass through a subquery the planner cannot pull up
	// (OFFSET 0), so none is a constant to it: its estimates are the same
	// whether PostgreSQL plans the prepared statement for the values at
	// hand (a custom plan) or for any values (the generic plan), and after
	// five executions it keeps the generic plan instead of planning every
	// execution again (about 0.1 ms each, more than most executions).
	// Given directly, the arrays let a custom plan see that a one-ask array
	// (the root page) holds one row where the generic plan guesses ten, and
	// the workspace let it see a small tenant's few rows where the generic
	// plan assumes an average one: either made the generic plan look dearer
	// for good (TestLevelStatementsKeepAGenericPlan).
	b.WriteString(" FROM (SELECT $1::text, $2::int[], $3::text[], $4::int[], $5::timestamptz[]")
	params := []string{"n", "k", "lim", "before"}
	for _, f := range []struct {
		bit  Filter
		name string
	}{{FilterStatus, "status"}, {FilterSlug, "slug"}, {FilterPhase, "phase"}, {FilterState, "state"}} {
		if l.Filters&f.bit != 0 || l.Filters&FilterEither != 0 && (f.bit == FilterPhase || f.bit == FilterState) {
			params = append(params, f.name)
			b.WriteString(", $" + strconv.Itoa(len(params)+1) + "::text[]")
		}
	}
	list := strings.Join(params, ", ")
	b.WriteString(" OFFSET 0) AS p(ws, " + list + ") CROSS JOIN LATERAL unnest(p." + strings.Join(params, ", p.") +
		") AS a(" + list + ") CROSS JOIN LATERAL (SELECT ")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(" FROM " + string(l.Table) + " t WHERE t.workspace_id = p.ws")
	if l.Table != TablePhaseTransitions {
		b.WriteString(" AND t.deleted_at IS NULL")
	}
	order, limit := " ORDER BY t.created_at DESC", " LIMIT a.lim"
	visibleCustomer := " AND EXISTS (SELECT 1 FROM customers c WHERE c.workspace_id = p.ws AND c.id = t.customer_id AND c.deleted_at IS NULL)"
	switch l.Rel {
	case RelRoot:
		if l.Table == TableOnboardings {
			b.WriteString(visibleCustomer)
		}
	case RelGetID, RelGetDisplayID:
		if l.Rel == RelGetID {
			b.WriteString(" AND t.id = a.k")
		} else {
			b.WriteString(" AND t.display_id = a.k::bigint")
		}
		if l.Table == TableContacts || l.Table == TableOnboardings {
			b.WriteString(visibleCustomer)
		}
		order = ""
	case RelCustomer:
		b.WriteString(" AND t.customer_id = a.k")
	case RelID:
		b.WriteString(" AND t.id = a.k")
		order = ""
	case RelPrimary:
		b.WriteString(" AND t.customer_id = a.k AND t.is_primary")
		order = ""
	case RelOnboarding:
		b.WriteString(" AND t.onboarding_id = a.k")
		order, limit = " ORDER BY t.created_at DESC, t.id DESC", ""
	default:
		return "", fmt.Errorf("db: unknown relation %d", l.Rel)
	}
	if l.Rel == RelRoot || l.Rel == RelCustomer {
		b.WriteString(" AND t.created_at < a.before")
	}
	for _, f := range []struct {
		bit  Filter
		cond string
	}{{FilterStatus, "t.status = a.status"}, {FilterSlug, "t.slug = a.slug"}, {FilterPhase, "t.phase = a.phase"},
		{FilterState, "t.state = a.state"}, {FilterWaiting, "t.waiting_on_customer"},
		{FilterEither, "(a.phase = '' OR t.phase = a.phase) AND CASE a.state WHEN '' THEN true WHEN 'waiting' THEN t.waiting_on_customer ELSE t.state = a.state END"}} {
		if l.Filters&f.bit != 0 {
			b.WriteString(" AND " + f.cond)
		}
	}
	b.WriteString(order + limit + ") t")
	l.prepared, l.isTime = b.String(), isTime
	return l.prepared, nil
}

// Rows are the rows a level read, each tagged with the Ask it answers. Values
// are kept in one buffer; instants in TimeLayout, other values as PostgreSQL's
// text (a text[] as its array literal, json as stored).
type Rows struct {
	cols  int
	ask   []int32
	cells []cell
	buf   []byte
}

type cell struct{ from, to int32 } // to < 0: NULL

// rowsPool keeps released Rows, so a read reuses the buffers of an earlier
// one instead of allocating and clearing its own.
var rowsPool = sync.Pool{New: func() any { return new(Rows) }}

// GetRows returns empty Rows, reusing released ones when it can.
func GetRows() *Rows { return rowsPool.Get().(*Rows) }

// Release empties r and keeps its buffers for GetRows; neither r nor any
// value it returned may be used after. Rows that grew large are left to the
// collector, so the pool never holds more than a modest read's worth each.
func (r *Rows) Release() {
	if cap(r.buf) > 1<<20 || cap(r.cells) > 1<<16 {
		return
	}
	r.cols, r.ask, r.cells, r.buf = 0, r.ask[:0], r.cells[:0], r.buf[:0]
	rowsPool.Put(r)
}

// Len is the number of rows.
func (r *Rows) Len() int { return len(r.ask) }

// Ask is the index of the Ask row i answers.
func (r *Rows) Ask(i int) int { return int(r.ask[i]) }

// Value returns column c of row i, or ok=false for NULL. The bytes are valid
// while r is.
func (r *Rows) Value(i, c int) (v []byte, ok bool) {
	x := r.cells[i*r.cols+c]
	if x.to < 0 {
		return nil, false
	}
	return r.buf[x.from:x.to], true
}

// Query runs the level for asks in workspaceID and appends the rows to into
// (whose rows of other levels of the same shape it keeps); ask indexes in the
// rows are base + the index in asks.
func (l *Level) Query(ctx context.Context, s *DB, workspaceID string, asks []Ask, base int, into *Rows) error {
	query, err := l.SQL()
	if err != nil {
		return err
	}
	n := len(asks)
	ns, keys, lims, befores := make([]int64, n), make([]string, n), make([]int64, n), make([]string, n)
	var status, slug, phase, state []string
	for i, a := range asks {
		ns[i], keys[i], lims[i] = int64(base+i), a.Key, int64(a.Limit)
		if a.Before != nil {
			befores[i] = a.Before.UTC().Format(time.RFC3339Nano)
		} else {
			befores[i] = "infinity"
		}
		if l.Filters&FilterStatus != 0 {
			status = append(status, a.Status)
		}
		if l.Filters&FilterSlug != 0 {
			slug = append(slug, a.Slug)
		}
		if l.Filters&(FilterPhase|FilterEither) != 0 {
			phase = append(phase, a.Phase)
		}
		if l.Filters&(FilterState|FilterEither) != 0 {
			state = append(state, a.State)
		}
	}
	args := []any{workspaceID, int8Array(ns), textArray(keys), int8Array(lims), textArray(befores)}
	for _, f := range [][]string{status, slug, phase, state} {
		if f != nil {
			args = append(args, textArray(f))
		}
	}
	if into.cols == 0 {
		into.cols = len(l.Columns)
		// Room for the rows asked (bounded), so appending rarely grows.
		rows := 0
		for _, a := range asks {
			rows += a.Limit
		}
		rows = min(max(rows, 16), 4096)
		if cap(into.ask) < rows {
			into.ask = make([]int32, 0, rows)
		}
		if cap(into.cells) < rows*into.cols {
			into.cells = make([]cell, 0, rows*into.cols)
		}
		if cap(into.buf) < rows*into.cols*16 {
			into.buf = make([]byte, 0, rows*into.cols*16)
		}
	} else if into.cols != len(l.Columns) {
		return fmt.Errorf("db: rows of %d columns cannot take %d", into.cols, len(l.Columns))
	}
	return s.queryDriver(ctx, query, args, make([]driver.Value, 1+len(l.Columns)), func(row []driver.Value) error {
		return into.add(row, l.isTime)
	})
}

// add appends one row of a level statement: the ask's index, then the
// columns as lib/pq decoded them (isTime: an instant's binary form), written
// as Rows keeps them.
func (r *Rows) add(row []driver.Value, isTime []bool) error {
	n, ok := row[0].(int64)
	if !ok || len(row) != 1+r.cols {
		return fmt.Errorf("db: level row of %d values starts with a %T", len(row), row[0])
	}
	r.ask = append(r.ask, int32(n))
	for i, v := range row[1:] {
		from := int32(len(r.buf))
		switch v := v.(type) {
		case nil:
			r.cells = append(r.cells, cell{0, -1})
			continue
		case []byte:
			if !isTime[i] {
				r.buf = append(r.buf, v...)
				break
			}
			t, err := timestamptzRecv(v)
			if err != nil {
				return err
			}
			r.buf = appendTime(r.buf, t)
		case string:
			r.buf = append(r.buf, v...)
		case int64:
			r.buf = strconv.AppendInt(r.buf, v, 10)
		case bool:
			r.buf = strconv.AppendBool(r.buf, v)
		case time.Time:
			r.buf = appendTime(r.buf, v)
		default:
			return fmt.Errorf("db: level column of type %T", v)
		}
		r.cells = append(r.cells, cell{from, int32(len(r.buf))})
	}
	return nil
}
