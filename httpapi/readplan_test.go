package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestReadPlanBoundedWork: whatever the document, a read plan runs one
// statement per level and its SQL stays a few kilobytes: documents with
// thousands of aliases, and with many aliased connections, run the same
// statements (same count, same text length) as the same document with one
// alias each, and answer as the executor does.
func TestReadPlanBoundedWork(t *testing.T) {
	e := newEnv(t)
	s := e.seedFastPath()
	warmKey(t, e, "fp-main", s.key)
	fields := strings.Fields(fpCustomerFields)
	scalars := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "a%d: %s ", i, fields[i%len(fields)])
		}
		return b.String()
	}
	conns := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `c%d: customers(first: 10) { p1: pageInfo { s1: startCursor s2: startCursor e: endCursor more: hasNextPage }
				nodes { id contacts(first: 2) { nodes { id email } } o%d: onboardings(first: 3) { nodes { id phase } } } } `, i, i)
		}
		return b.String()
	}
	repeat := func(n int, f func(int) string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(f(i))
		}
		return b.String()
	}
	cases := []struct {
		name        string
		small, huge string
		statements  int64
	}{
		// 200 fields is what one selection set may hold (selection_limits.go);
		// twenty aliased copies of it make 4,000 aliases.
		{"aliased fields", `{ customers(first: 5) { nodes { ` + scalars(len(fields)) + ` } } }`,
			`{ ` + repeat(20, func(i int) string { return fmt.Sprintf(`c%d: customers(first: 5) { nodes { %s } } `, i, scalars(200)) }) + ` }`, 2},
		{"aliased fields nested", `{ customers(first: 10) { nodes { contacts(first: 3) { nodes { customer { ` + scalars(len(fields)) + ` } } } } } }`,
			`{ customers(first: 10) { nodes { contacts(first: 3) { nodes { ` +
				repeat(15, func(i int) string { return fmt.Sprintf(`c%d: customer { %s } `, i, scalars(200)) }) + ` } } } } }`, 4},
		{"aliased connections", `{ ` + conns(1) + ` }`, `{ ` + conns(50) + ` }`, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			small, ls := e.fpServePath(t, true, s.key, fpReq{query: c.small}, Options{})
			huge, lh := e.fpServePath(t, true, s.key, fpReq{query: c.huge}, Options{})
			if fpErrors(t, small) || fpErrors(t, huge) {
				t.Fatalf("errors: %.300s / %.300s", small.Body, huge.Body)
			}
			for _, l := range []fpLog{ls, lh} {
				if l.ReadPath != "plan" || l.Statements != c.statements {
					t.Errorf("%d statements by %q, want %d by the read plan", l.Statements, l.ReadPath, c.statements)
				}
			}
			if lh.SQLBytes != ls.SQLBytes || lh.SQLBytes > 4096 {
				t.Errorf("%d bytes of SQL for a %d-byte document, %d for the one-alias document: want the same, under 4 KiB",
					lh.SQLBytes, len(c.huge), ls.SQLBytes)
			}
			slow, _ := e.fpServe(t, false, s.key, fpReq{query: c.huge})
			fpSame(t, slow, huge)
		})
	}
}

// TestReadPlanTimeout: a planned read that runs out of time answers the
// documented timeout error (SERVICE_UNAVAILABLE, statement_timeout), never an
// HTTP 200 with the body null, and is not run again through the executor.
func TestReadPlanTimeout(t *testing.T) {
	e := newEnv(t)
	s := e.seedFastPath()
	warmKey(t, e, "fp-main", s.key)
	// Another transaction holds customers exclusively: the plan's statement
	// waits for it until the request's deadline.
	ctx := context.Background()
	tx, err := e.store.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE customers IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	r, l := e.fpServePath(t, true, s.key, fpReq{query: q2}, Options{RequestTimeout: 500 * time.Millisecond})
	r.expect(t, 200, `{"errors":[{"message":"The request took too long and was canceled. Ask for less, or retry.",
		"extensions":{"code":"SERVICE_UNAVAILABLE","errorCode":"statement_timeout","retryAfter":1}}],"data":null}`)
	if l.ReadPath != "plan" {
		t.Errorf("answered by %q, want the read plan", l.ReadPath)
	}
	// Authentication (when not cached) and the one statement that waited:
	// the executor's statements would come on top.
	if l.Statements > 2 {
		t.Errorf("%d statements: the operation ran again after the plan timed out", l.Statements)
	}
}
