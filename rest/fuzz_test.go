package rest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"

	"pivotal/apperr"
	"pivotal/graph/model"
)

// clientError fails t unless err is nil or an application error a client is
// answered with a 4xx for.
func clientError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e := apperr.From(err)
	if e == nil {
		t.Fatalf("%s: %v is not an application error (it would be a 500)", what, err)
	}
	if s := Status(e); s < 400 || s >= 500 {
		t.Fatalf("%s: %v answers %d, want a 4xx", what, e, s)
	}
}

// FuzzCustomerBody runs arbitrary bytes through the REST body decoder and the
// customer field decoder, as POST and PATCH /customers do.
func FuzzCustomerBody(f *testing.F) {
	f.Add([]byte(`{"name":"Acme","slug":"acme","mrr":100,"metadata":{"a":1}}`))
	f.Add([]byte(`{"name":null,"mrr":1e400,"monthly_orders":-99999999999999999999}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := parseBody(raw)
		clientError(t, "parseBody", err)
		if err != nil {
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("parseBody accepted invalid JSON %q", raw)
		}
		clientError(t, "require", b.require("name"))
		in := customerFields(b)
		err = b.check()
		clientError(t, "check", err)
		if err != nil {
			return
		}
		// What was accepted is what the JSON said.
		var generic map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // 1e700 is valid JSON, just not a float64
		if dec.Decode(&generic) != nil {
			t.Fatalf("accepted %q, which is not a JSON object", raw)
		}
		if v := in.Name.Value(); v != nil {
			if s, ok := generic["name"].(string); !ok || s != *v {
				t.Fatalf("name decoded as %q from %q", *v, raw)
			}
		}
		if in.Metadata.IsSet() && in.Metadata.Value() != nil && !json.Valid(in.Metadata.Value()) {
			t.Fatalf("metadata %q is not JSON", in.Metadata.Value())
		}
	})
}

// FuzzListQuery runs arbitrary query strings through the list parameters
// (limit, cursor, the status filter).
func FuzzListQuery(f *testing.F) {
	f.Add("limit=10&cursor=2024-01-01T00:00:00Z&status=active")
	f.Add("limit=99999999999999999999999&status=AT_RISK")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return // the router never sees such a query: net/http keeps what parses
		}
		args, err := listArgs(q, 20)
		clientError(t, "listArgs", err)
		if err == nil && (args.Limit < 1 || args.Limit > 100) {
			t.Fatalf("limit %d accepted from %q", args.Limit, query)
		}
		st, err := enumParam(q, "status", model.AllCustomerStatus)
		clientError(t, "enumParam", err)
		if err == nil && st != nil && !st.IsValid() {
			t.Fatalf("invalid status %q accepted from %q", *st, query)
		}
	})
}
