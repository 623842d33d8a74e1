package db

import "testing"

func TestWithParam(t *testing.T) {
	cases := []struct{ in, want string }{
		{"host=/tmp dbname=x", "host=/tmp dbname=x statement_timeout=5000"},
		{"postgres://u@127.0.0.1:5432/x?sslmode=disable", "postgres://u@127.0.0.1:5432/x?sslmode=disable&statement_timeout=5000"},
	}
	for _, c := range cases {
		got, err := withParam(c.in, "statement_timeout", "5000")
		if err != nil || got != c.want {
			t.Errorf("withParam(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
