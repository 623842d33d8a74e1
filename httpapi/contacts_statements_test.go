package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// nestedContactsQuery is the dashboard's reference query: a page of customers,
// each with a page of contacts (and each contact's customer) and its primary
// contact.
const nestedContactsQuery = `{ customers(first: 20) { nodes { id
	contacts(first: 5) { nodes { id email customer { id } } pageInfo { hasNextPage endCursor } }
	primaryContact { id name } } } }`

// statementsFor serves one GraphQL request in-process and returns the number
// of SQL statements it caused, as the access log counts them (the log's
// middleware counts every statement under the request's context with
// db.WithStats), and the response body.
func (e *env) statementsFor(key, query string) (int64, []byte) {
	e.t.Helper()
	var logged lockedBuffer
	// The executor's loaders are under test here, not the fast path.
	h := New(e.res, slog.New(slog.NewJSONHandler(io.MultiWriter(&logged, logSink), nil)), Options{DisableFastPath: true})
	b, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), `"errors"`) {
		e.t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		var entry struct {
			Msg        string `json:"msg"`
			Statements *int64 `json:"sql_statements"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "request" && entry.Statements != nil {
			return *entry.Statements, rec.Body.Bytes()
		}
	}
	e.t.Fatalf("no access log line with sql_statements in %s", logged.String())
	return 0, nil
}

// seedCustomersWithContacts gives the key's workspace n customers with three
// contacts each (the second of them primary).
func (e *env) seedCustomersWithContacts(key string, n int) {
	e.t.Helper()
	for i := 0; i < n; i++ {
		c := e.newCustomer(key, fmt.Sprintf("Customer %02d", i))
		for j := 0; j < 3; j++ {
			e.newContact(key, c, fmt.Sprintf(`{"name":"p%d","email":"p%d@c%d.example","is_primary":%v}`, j, j, i, j == 1))
		}
	}
}

// TestContactNestedStatementCount proves that the nested reference query runs
// a constant number of statements: as many for 15 customers as for 3.
func TestContactNestedStatementCount(t *testing.T) {
	e := newEnv(t)
	small, large := e.key("small"), e.key("large")
	e.seedCustomersWithContacts(small, 3)
	e.seedCustomersWithContacts(large, 15)
	// Recording a key's first use happens off the request path; let it finish
	// so that it is not counted in the measured request.
	for _, k := range []string{small, large} {
		e.do("GET", "/api/v1/me", k, "").expect(t, 200, "")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var unused int
		e.store.Get(&unused, `SELECT count(*) FROM api_keys WHERE last_used_at IS NULL`)
		if unused == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("keys' last use was never recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}

	count := func(key string, customers int) int64 {
		t.Helper()
		// Loaders gather one level of the tree within a short time window; on a
		// loaded machine a straggling sibling can miss it and cost one more
		// batch. So take the best of a few runs: an N+1 would cost at least one
		// statement per customer in every run.
		best := int64(-1)
		for attempt := 0; attempt < 5; attempt++ {
			n, body := e.statementsFor(key, nestedContactsQuery)
			var out struct {
				Data struct {
					Customers struct {
						Nodes []struct {
							Contacts struct {
								Nodes []struct{ Customer struct{ ID string } }
							}
							PrimaryContact *struct{ Name string }
						}
					}
				}
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			nodes := out.Data.Customers.Nodes
			if len(nodes) != customers {
				t.Fatalf("%d customers, want %d", len(nodes), customers)
			}
			for _, c := range nodes {
				if len(c.Contacts.Nodes) != 3 || c.PrimaryContact == nil || c.PrimaryContact.Name != "p1" {
					t.Fatalf("incomplete customer in %s", body)
				}
			}
			if best < 0 || n < best {
				best = n
			}
		}
		return best
	}
	few, many := count(small, 3), count(large, 15)
	t.Logf("statements: %d for 3 customers, %d for 15", few, many)
	if few != many {
		t.Errorf("statements grow with the number of customers: %d for 3, %d for 15", few, many)
	}
	// Key lookup, customers, contacts of all customers, customers of all
	// contacts, primary contacts of all customers.
	if many > 5 {
		t.Errorf("%d statements, want at most 5", many)
	}
}
