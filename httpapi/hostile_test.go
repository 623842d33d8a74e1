package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"pivotal/auth/leaktest"
	"strings"
	"testing"
	"time"
)

// hostileValues are JSON values meant to break decoders, SQL and storage.
func hostileValues() map[string]string {
	nestedArr := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	nestedObj := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	ints := make([]string, 10000)
	strs := make([]string, 10000)
	for i := range ints {
		ints[i] = fmt.Sprint(i)
		strs[i] = fmt.Sprintf(`"s%d"`, i)
	}
	return map[string]string{
		"sql drop":         `"'; DROP TABLE customers; --"`,
		"sql or":           `"\" OR \"1\"=\"1' OR '1'='1"`,
		"sql like":         `"%_\\$1"`,
		"nul escaped":      `"a\u0000b"`,
		"nul in key":       `{"a\u0000":1}`,
		"invalid utf8":     "\"\xff\xfe\xfd\"",
		"lone surrogate":   `"\ud800"`,
		"rtl override":     `"\u202egnp.exe"`,
		"huge float":       `1e400`,
		"huge int":         `99999999999999999999`,
		"below int64":      `-9223372036854775809`,
		"max int64":        `9223372036854775807`,
		"negative zero":    `-0`,
		"nested 10000 arr": nestedArr,
		"nested 10001 arr": "[" + nestedArr + "]",
		"nested 10000 obj": nestedObj,
		"10000 ints":       "[" + strings.Join(ints, ",") + "]",
		"10000 strings":    "[" + strings.Join(strs, ",") + "]",
		"long string":      `"` + strings.Repeat("x", 100000) + `"`,
	}
}

// hostileStrings are raw strings for query parameters, path ids and headers.
var hostileStrings = map[string]string{
	"sql drop":     `'; DROP TABLE customers; --`,
	"sql or":       `1 OR 1=1`,
	"nul":          "a\x00b",
	"invalid utf8": "\xff\xfe",
	"huge number":  "99999999999999999999999999",
	"negative":     "-1",
	"percent":      "%",
	"dot dot":      "../../etc/passwd",
	"long":         strings.Repeat("a", 10000),
	"rtl":          "\u202e1",
	"empty":        "",
}

// TestHostileInputEverywhere sends every hostile value through every input
// path: REST bodies (create and update), query parameters, path ids, headers
// and GraphQL variables. Every answer is a success or a refusal, and a refusal
// (a 4xx, or GraphQL errors without data) wrote nothing.
func TestHostileInputEverywhere(t *testing.T) {
	e := newEnv(t)
	key := e.key("hostile")
	existing := e.do("POST", "/api/v1/customers", key, `{"name":"Target","slug":"target"}`).str(t, "id")
	var counts = map[int]int{}
	gqlRefusals := 0 // mutations refused with 200 and errors: checked to have written nothing
	check := func(what string, r response, before string) {
		t.Helper()
		counts[r.Status]++
		if r.Status >= 500 {
			t.Errorf("%s: status %d: %.300s", what, r.Status, r.Body)
			return
		}
		if refused(r) && e.fingerprint() != before {
			t.Errorf("%s: refused with %d but the database changed: %.300s", what, r.Status, r.Body)
		}
	}

	for name, v := range hostileValues() {
		for _, body := range []string{
			`{"name":` + v + `}`,
			`{"name":"Hostile","slug":` + v + `}`,
			`{"name":"Hostile","mrr":` + v + `}`,
			`{"name":"Hostile","domain":` + v + `}`,
			`{"name":"Hostile","metadata":{"k":` + v + `}}`,
			`{"name":"Hostile","metadata":` + v + `}`,
			v,
		} {
			before := e.fingerprint()
			r := e.do("POST", "/api/v1/customers", key, body)
			check("POST "+name+" "+trim(body), r, before)
			if r.Status == 201 {
				// Stored and read back as valid JSON; then removed so that slugs stay free.
				var created struct{ ID string }
				json.Unmarshal(r.Body, &created) // (a 1e400 in metadata is valid JSON, not a float64)
				id := created.ID
				if g := e.do("GET", "/api/v1/customers/"+id, key, ""); g.Status != 200 || !json.Valid(g.Body) {
					t.Errorf("POST %s: created, but reading it back gives %d", name, g.Status)
				}
				e.do("DELETE", "/api/v1/customers/"+id, key, "")
			}
			before = e.fingerprint()
			check("PATCH "+name+" "+trim(body), e.do("PATCH", "/api/v1/customers/"+existing, key, body), before)
		}
		for _, gq := range []struct{ query, vars string }{
			{`mutation($i:CreateCustomerInput!){ createCustomer(input:$i){ customer{ id } } }`, `{"i":{"name":` + v + `}}`},
			{`mutation($i:CreateCustomerInput!){ createCustomer(input:$i){ customer{ id } } }`, `{"i":{"name":"G ` + name + `","metadata":` + v + `}}`},
			{`mutation($i:CreateCustomerInput!){ createCustomer(input:$i){ customer{ id } } }`, `{"i":{"name":"G ` + name + `","mrr":` + v + `}}`},
			{`mutation($id:ID!,$i:UpdateCustomerInput!){ updateCustomer(id:$id,input:$i){ customer{ id } } }`, `{"id":"` + existing + `","i":{"slug":` + v + `}}`},
			{`query($id:ID!){ customer(id:$id){ id } node(id:$id){ id } }`, `{"id":` + v + `}`},
			{`query($f:Int,$a:String){ customers(first:$f, after:$a){ edges{ node{ id } } } }`, `{"f":` + v + `,"a":` + v + `}`},
		} {
			before := e.fingerprint()
			r := e.do("POST", "/graphql", key, `{"query":`+quote(gq.query)+`,"variables":`+gq.vars+`}`)
			check("graphql "+name+" "+trim(gq.vars), r, before)
			if r.Status == 200 && refused(r) && strings.HasPrefix(gq.query, "mutation") {
				gqlRefusals++
			}
			if strings.Contains(string(r.Body), `"INTERNAL"`) {
				t.Errorf("graphql %s %s: %.300s", name, trim(gq.vars), r.Body)
			}
			if r.Status == 200 && strings.Contains(gq.query, "createCustomer") {
				var out struct {
					Data struct {
						CreateCustomer *struct{ Customer struct{ ID string } }
					}
				}
				json.Unmarshal(r.Body, &out)
				if out.Data.CreateCustomer != nil {
					e.do("DELETE", "/api/v1/customers/"+out.Data.CreateCustomer.Customer.ID, key, "")
				}
			}
		}
	}

	for name, s := range hostileStrings {
		before := e.fingerprint()
		for _, p := range []string{"limit", "cursor", "status", "slug"} {
			check("GET ?"+p+"="+name, e.do("GET", "/api/v1/customers?"+p+"="+url.QueryEscape(s), key, ""), before)
		}
		id := url.PathEscape(s)
		check("GET id "+name, e.do("GET", "/api/v1/customers/"+id, key, ""), before)
		check("PATCH id "+name, e.do("PATCH", "/api/v1/customers/"+id, key, `{"plan":"x"}`), before)
		check("DELETE id "+name, e.do("DELETE", "/api/v1/customers/"+id, key, ""), before)
		for _, h := range []string{"Authorization: Bearer " + s, "Authorization: " + s, "X-Request-Id: " + s,
			"Content-Type: " + s, "Idempotency-Key: " + s} {
			before := e.fingerprint()
			status := rawRequest(t, e.srv.URL, "POST /api/v1/customers", key, h, `{"name":"Header"}`)
			check("header "+trim(h), response{Status: status}, before)
		}
	}
	t.Logf("statuses: %v; GraphQL mutations refused with 200: %d", counts, gqlRefusals)
	if gqlRefusals == 0 {
		t.Error("no GraphQL mutation was refused with 200: the no-write check never ran on one")
	}
}

// rawRequest writes a request byte for byte (the Go client refuses NUL and
// invalid bytes in headers, but attackers do not) and returns the status.
func rawRequest(t *testing.T, base, line, key, header, body string) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	auth := "Authorization: Bearer " + key + "\r\n"
	leaktest.Key(key)
	if value, ok := strings.CutPrefix(header, "Authorization:"); ok {
		auth = ""
		leaktest.BearerKey(value)
	}
	ct := "Content-Type: application/json\r\n"
	if strings.HasPrefix(header, "Content-Type:") {
		ct = ""
	}
	fmt.Fprintf(conn, "%s HTTP/1.1\r\nHost: x\r\n%s%s%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		line, auth, ct, header, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s with %q: %v", line, header, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// A body over the limit without a declared length (chunked) is a 413 in each
// surface's own shape, not a decoding error halfway through.
func TestChunkedBodyOverLimit(t *testing.T) {
	e := newEnv(t)
	key := e.key("chunked")
	for _, path := range []string{"/api/v1/customers", "/graphql"} {
		before := e.fingerprint()
		body := io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("x", 2<<20)), strings.NewReader(`"}`))
		req, _ := http.NewRequest("POST", e.srv.URL+path, io.NopCloser(body)) // unknown length: chunked
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "body_too_large") {
			t.Errorf("%s: %d %s, want 413 body_too_large", path, resp.StatusCode, b)
		}
		if e.fingerprint() != before {
			t.Errorf("%s: the database changed", path)
		}
	}
}
