package resolvers

import (
	"strings"
	"testing"

	"pivotal/apperr"
	"pivotal/graph/model"
)

func TestValidEmail(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"maya@aurora.example", true},
		{"maya.chen+crm@mail.aurora-2.example", true},
		{"o'brien@x.io", true},
		{"1@2.co", true},
		{"maya@xn--bcher-kva.example", true},
		{"", false},
		{"maya", false},
		{"@aurora.example", false},
		{"maya@", false},
		{"maya@localhost", false},
		{"maya@aurora..example", false},
		{"maya@aurora.example.", false},
		{"maya@.aurora.example", false},
		{"maya@-aurora.example", false},
		{"maya@aurora-.example", false},
		{"maya@aurora_x.example", false},
		{"maya@[10.0.0.1]", false},
		{"maya@bücher.example", false},
		{"maya chen@aurora.example", false},
		{"maya@chen@aurora.example", false},
		{"Maya <maya@aurora.example>", false},
		{`"maya chen"@aurora.example`, false},
		{"maya@aurora.example (work)", false},
		{"maya..chen@aurora.example", false},
		{"maya@" + strings.Repeat("a", 64) + ".example", false},
	}
	for _, c := range cases {
		if got := validEmail(c.in); got != c.want {
			t.Errorf("validEmail(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got := normalizeEmail(" \tMaya.Chen@Aurora.EXAMPLE \n"); got != "maya.chen@aurora.example" {
		t.Errorf("normalizeEmail = %q", got)
	}
}

// TestContactValidationOrder checks the stage order directly on the rules, the
// part GraphQL and REST share.
func TestContactValidationOrder(t *testing.T) {
	title := strings.Repeat("t", 256)
	cases := []struct {
		name        string
		in          model.CreateContactInput
		code, field string
	}{
		{"ok", model.CreateContactInput{Name: "a", Email: "a@b.co", Labels: []string{"x"}}, "", ""},
		{"bounds before format", model.CreateContactInput{Name: "a", Email: "nope", Title: &title}, "too_big", "title"},
		{"name first", model.CreateContactInput{Name: "", Email: "a@b.co", Title: &title}, "too_small", "name"},
		{"labels length before items", model.CreateContactInput{Name: "a", Email: "a@b.co", Labels: make([]string, 21)}, "too_big", "labels"},
		{"label item", model.CreateContactInput{Name: "a", Email: "a@b.co", Labels: []string{"x", "", ""}}, "too_small", "labels.1"},
		{"format", model.CreateContactInput{Name: "a", Email: "nope"}, "invalid_string", "email"},
	}
	for _, c := range cases {
		err := validateContactCreate(&c.in)
		e := apperr.From(err)
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: unexpected %v", c.name, err)
		case c.code != "" && (e == nil || e.Code != c.code || e.Field != c.field):
			t.Errorf("%s: got %+v, want %s on %s", c.name, e, c.code, c.field)
		}
	}
}

// FuzzValidEmail checks that the rule never panics and that whatever it
// accepts is a plain local@host address that normalization leaves alone.
func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"maya@aurora.example", "Maya <maya@aurora.example>", "a@b", "@", `"x"@y.z`, "a@[1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = normalizeEmail(s)
		if !validEmail(s) {
			return
		}
		local, host, ok := strings.Cut(s, "@")
		if !ok || local == "" || strings.Contains(host, "@") || !strings.Contains(host, ".") ||
			strings.ContainsAny(s, " <>()\"\t\r\n") || normalizeEmail(s) != s {
			t.Errorf("accepted %q", s)
		}
	})
}
