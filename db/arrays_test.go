package db

import (
	"math"
	"testing"

	"github.com/lib/pq"
)

func TestArrayLiteralsAreLibPQs(t *testing.T) {
	for _, ss := range [][]string{nil, {}, {""}, {"a"}, {"cus_1", "cus_2"}, {`q"uote`, `back\slash`, `\"`, "comma,", "{brace}", "NULL", " sp ", "Zoë 東京", "nul\x00?"}} {
		want, err := pq.StringArray(ss).Value()
		if err != nil {
			t.Fatal(err)
		}
		if ss == nil {
			want = "{}" // pq writes NULL for a nil slice; levels always pass one
		}
		if got := textArray(ss); got != want {
			t.Errorf("textArray(%q) = %s, pq writes %s", ss, got, want)
		}
	}
	for _, ns := range [][]int64{{}, {0}, {1, -2, 300}, {math.MaxInt64, math.MinInt64}} {
		want, err := pq.Int64Array(ns).Value()
		if err != nil {
			t.Fatal(err)
		}
		if got := int8Array(ns); got != want {
			t.Errorf("int8Array(%v) = %s, pq writes %s", ns, got, want)
		}
	}
}
