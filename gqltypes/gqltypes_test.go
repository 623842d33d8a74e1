package gqltypes

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestTimeKeepsSixDigits(t *testing.T) {
	cases := map[time.Time]string{
		time.Date(2026, 5, 26, 17, 21, 9, 412000000, time.UTC):                    "2026-05-26T17:21:09.412000Z",
		time.Date(2026, 5, 26, 17, 21, 9, 0, time.UTC):                            "2026-05-26T17:21:09.000000Z",
		time.Date(2026, 5, 26, 19, 21, 9, 123456789, time.FixedZone("x", 2*3600)): "2026-05-26T17:21:09.123456Z",
	}
	for in, want := range cases {
		if got := FormatTime(in); got != want {
			t.Errorf("FormatTime(%v) = %s, want %s", in, got, want)
		}
		var b bytes.Buffer
		Time(in).MarshalGQL(&b)
		if b.String() != `"`+want+`"` {
			t.Errorf("MarshalGQL = %s", b.String())
		}
	}
}

func TestJSONScalar(t *testing.T) {
	var j JSON
	if err := j.UnmarshalGQL(map[string]any{"a": 1}); err != nil || string(j) != `{"a":1}` {
		t.Fatalf("%s %v", j, err)
	}
	for _, bad := range []any{[]any{1}, "x", 3, nil} {
		if err := j.UnmarshalGQL(bad); err == nil {
			t.Errorf("UnmarshalGQL(%v) accepted a non-object", bad)
		}
	}
	var b bytes.Buffer
	JSON(nil).MarshalGQL(&b)
	if b.String() != "{}" {
		t.Errorf("empty JSON marshals as %s", b.String())
	}
}

// Metadata sent through GraphQL is stored as the compact JSON a client would
// send to REST: keys sorted, numbers as written, no HTML escaping (issue 10 A7).
func TestJSONScalarKeepsText(t *testing.T) {
	var j JSON
	v := map[string]any{"z": "x & y <b> \u2028 é \"q\" \\ \n\x01", "a": []any{json.Number("1e400"), json.Number("-3e10"), int64(7), 2.5, nil, true},
		"m": map[string]any{}}
	if err := j.UnmarshalGQL(v); err != nil {
		t.Fatal(err)
	}
	want := "{\"a\":[1e400,-3e10,7,2.5,null,true],\"m\":{},\"z\":\"x & y <b> \u2028 é \\\"q\\\" \\\\ \\n\\u0001\"}"
	if string(j) != want {
		t.Errorf("got  %s\nwant %s", j, want)
	}
	if err := j.UnmarshalGQL(map[string]any{"n": json.Number("1x")}); err == nil {
		t.Errorf("an invalid number was accepted")
	}
}
