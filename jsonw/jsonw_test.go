package jsonw

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lib/pq"
)

var samples = []string{
	"", "plain", `quote " and backslash \`, "tab\tcr\rnl\nbs\bff\f", "nul \x00 \x01 \x1f \x7f",
	"<b>&amp;</b>", "Zoë 東京 🚀", "line\u2028sep\u2029par", "bad \xff utf8 \xe2\x80", "\u00e9\u0301",
	`{"json": "in a string"}`,
}

// reference encoders: what the executor and the REST renderer print. A
// GraphQL response's string is gqlgen's, as encoding/json then writes the
// response (HTML-escaped).
func gqlgenString(s string) []byte {
	var b bytes.Buffer
	graphql.MarshalString(s).MarshalGQL(&b)
	out, err := htmlEncoded(b.Bytes())
	if err != nil {
		panic(err)
	}
	return out
}

func restString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func TestStringsMatchTheReferenceEncoders(t *testing.T) {
	for _, s := range samples {
		if got, want := GraphQLString(nil, []byte(s)), gqlgenString(s); !bytes.Equal(got, want) {
			t.Errorf("GraphQLString(%q) = %s, gqlgen and encoding/json write %s", s, got, want)
		}
		if got, want := RESTString(nil, []byte(s)), restString(s); !bytes.Equal(got, want) {
			t.Errorf("RESTString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	}
}

func FuzzStrings(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := GraphQLString([]byte("x"), []byte(s)), append([]byte("x"), gqlgenString(s)...); !bytes.Equal(got, want) {
			t.Errorf("GraphQLString(%q) = %s, want %s", s, got, want)
		}
		if got, want := RESTString(nil, []byte(s)), restString(s); !bytes.Equal(got, want) {
			t.Errorf("RESTString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestStringArray(t *testing.T) {
	for _, labels := range [][]string{{}, {"a"}, {"vip", "beta"}, {"with space", `q"uote`, `back\slash`, "comma,inside", "{brace}", "NULL", "", "Zoë"}} {
		lit, err := pq.StringArray(labels).Value()
		if err != nil {
			t.Fatal(err)
		}
		got, err := StringArray(nil, []byte(lit.(string)), RESTString)
		if err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		want, _ := json.Marshal(labels)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %s, want %s", lit, got, want)
		}
	}
	// PostgreSQL's own spelling: bare elements where no quoting is needed.
	got, err := StringArray(nil, []byte(`{vip,"with space","q\"uote",NULLX}`), GraphQLString)
	if err != nil || string(got) != `["vip","with space","q\"uote","NULLX"]` {
		t.Errorf("%s %v", got, err)
	}
	for _, bad := range []string{"", "{", `{"open}`, "{a,,b}", "{NULL}", `{"a"b}`} {
		if _, err := StringArray(nil, []byte(bad), RESTString); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCompact(t *testing.T) {
	src := []byte(`{"a": 1, "b": [true, null, "<&>"], "c": {"d": "e\u2028"}}`)
	got, err := Compact([]byte("x"), src)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.Encode(json.RawMessage(src))
	if err != nil || string(got) != "x"+string(bytes.TrimSpace(want.Bytes())) {
		t.Errorf("%s %v, want x%s", got, err, want.Bytes())
	}
}

// htmlEncoded is what encoding/json's Encoder (HTML escaping on, as the
// GraphQL transport uses it) prints for a json.RawMessage holding src.
func htmlEncoded(src []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(json.RawMessage(src)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

var compactSamples = []string{
	`null`, `{}`, `[]`, `"x"`, ` { "a" : 1 ,	"b":[ true ,null, "<&>" ] ,
"c" : { "d" : "e` + "\u2028\u2029" + `" } } `,
	`{"esc": "q\" b\\ \"<\" \\\" \u2028 \n", "k y": " spaces  kept ", "lt": "<script>&amp;</script>"}`,
	`{"bare": ` + "\"\u2028\u2029\xe2\x80\xaa\xe2\x80\"" + `, "bad": "` + "\xff\xe2\x80" + `"}`,
	`[1.5e10, -0, 0.1, "Zoë 東京 🚀", {"metadata": {"a": [1, 2, {"b": null}]}}]`,
}

func TestCompactHTMLMatchesEncodingJSON(t *testing.T) {
	for _, s := range compactSamples {
		want, err := htmlEncoded([]byte(s))
		if err != nil {
			t.Fatalf("sample %q is not JSON: %v", s, err)
		}
		if got := CompactHTML([]byte("x"), []byte(s)); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("CompactHTML(%q) = %s, encoding/json writes %s", s, got[1:], want)
		}
		if IsCompactHTML([]byte(s)) != bytes.Equal([]byte(s), want) {
			t.Errorf("IsCompactHTML(%q) = %v, encoding/json writes %s", s, !bytes.Equal([]byte(s), want), want)
		}
		if !IsCompactHTML(want) {
			t.Errorf("IsCompactHTML(%s) = false for encoding/json's own output", want)
		}
	}
	// Strings the GraphQL writer quoted, inside a document with spaces.
	for _, s := range samples {
		doc := []byte(`{ "s" : ` + string(GraphQLString(nil, []byte(s))) + ` , "t": [ ` + string(RESTString(nil, []byte(s))) + ` ] }`)
		want, err := htmlEncoded(doc)
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if got := CompactHTML(nil, doc); !bytes.Equal(got, want) {
			t.Errorf("CompactHTML(%q) = %s, encoding/json writes %s", doc, got, want)
		}
	}
}

func FuzzCompactHTML(f *testing.F) {
	for _, s := range compactSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := htmlEncoded([]byte(s))
		if err != nil {
			return // CompactHTML takes valid JSON only
		}
		if got := CompactHTML(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("CompactHTML(%q) = %s, encoding/json writes %s", s, got, want)
		}
		if IsCompactHTML([]byte(s)) != bytes.Equal([]byte(s), want) {
			t.Errorf("IsCompactHTML(%q) = %v, encoding/json writes %s", s, !bytes.Equal([]byte(s), want), want)
		}
	})
}

// BenchmarkCompactHTML writes a read plan's kind of page: 100 nodes of short
// strings and instants, and a stored jsonb value with its spaces.
func BenchmarkCompactHTML(b *testing.B) {
	var doc []byte
	doc = append(doc, `{"customers":{"edges":[`...)
	for i := range 100 {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = append(doc, `{"node":{"id":"cus_01hzzzzzzzzzzzzzzzzzzzzzzz","name":"Acme Corp & Sons","status":"ACTIVE","createdAt":"2026-12-05T15:00:00.000000Z","metadata":{"tier": "gold", "seats": [1, 2, 3]}}}`...)
	}
	doc = append(doc, `]}}`...)
	b.SetBytes(int64(len(doc)))
	dst := make([]byte, 0, len(doc)*2)
	for b.Loop() {
		dst = CompactHTML(dst[:0], doc)
	}
}
