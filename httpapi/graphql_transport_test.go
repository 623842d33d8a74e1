package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestWriteGraphQLResponseMatchesEncodingJSON: the transport writes a
// response of data alone in one pass; every response must still come out in
// the bytes encoding/json prints for it (compacted, HTML escaped).
func TestWriteGraphQLResponseMatchesEncodingJSON(t *testing.T) {
	yes := true
	data := json.RawMessage("{\"customers\": {\"edges\": [{\"node\": {\"name\": \"<b>A & B</b>\", \"metadata\": {\"k\": [1, 2, \"\u2028\"]}}}], \"s\": \"q\\\" \\\\\"}}")
	for i, resp := range []*graphql.Response{
		{Data: data},
		{Data: json.RawMessage(`null`)},
		{Data: nil},
		{Data: json.RawMessage(` { "a" : [ 1 , 2 ] } `)},
		{Data: data, Errors: gqlerror.List{{Message: "boom <x>"}}},
		{Data: data, Extensions: map[string]any{"cost": 3}},
		{Data: data, Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes},
	} {
		for _, withoutData := range []bool{false, true} {
			w := httptest.NewRecorder()
			writeGraphQLResponse(w, mediaJSON, 200, resp, withoutData, false)
			if want := encodeGraphQLResponse(resp, withoutData); !bytes.Equal(w.Body.Bytes(), want) {
				t.Errorf("response %d (without data %v): wrote %s, encoding/json prints %s", i, withoutData, w.Body.Bytes(), want)
			}
		}
	}
}
