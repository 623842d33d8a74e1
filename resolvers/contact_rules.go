package resolvers

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"pivotal/apperr"
	"pivotal/graph/model"
)

// Bounds of contact fields (spec §7 Contacts).
const (
	maxEmail      = 255
	maxLabels     = 20
	maxLabelChars = 64
)

// normalizeEmail is what the contract does to an address on the way in, before
// any check: surrounding white space goes, letters are lowercased.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validEmail reports whether s (already normalized) is a bare address that
// mail can be sent to:
//   - net/mail must parse it as exactly itself, so display names ("Bob <b@x.io>"),
//     comments, quoted local parts and anything else that is not the plain
//     local@domain form are refused;
//   - the domain must be a DNS host name of at least two labels: letters, digits
//     and inner hyphens, 1–63 characters each (so no "user@localhost", no
//     address literals like "user@[10.0.0.1]", no trailing dot). International
//     domains are accepted in their ASCII (punycode) form.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return false
	}
	labels := strings.Split(s[at+1:], ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// email checks a normalized address: its length, then its form.
func (v *validation) email(field string, s *string) {
	if s == nil {
		return
	}
	if utf8.RuneCountInString(*s) > maxEmail {
		v.fail(stageBounds, apperr.TooBig(field, "%s must be at most %d characters", field, maxEmail))
		return
	}
	if !validEmail(*s) {
		v.fail(stageFormats, apperr.InvalidString(field, field+" must be a valid email address"))
	}
}

// labels checks the list's length, then each label's, reporting an element as
// labels.N.
func (v *validation) labels(field string, ls []string) {
	if len(ls) > maxLabels {
		v.fail(stageBounds, apperr.TooBig(field, "%s must have at most %d items", field, maxLabels))
		return
	}
	for i := range ls {
		v.str(field+"."+strconv.Itoa(i), &ls[i], 1, maxLabelChars)
	}
}

// validateContactCreate checks a create whose email is already normalized,
// field by field in the contract's order within each stage.
func validateContactCreate(in *model.CreateContactInput) error {
	var v validation
	v.str("name", &in.Name, 1, maxName)
	v.email("email", &in.Email)
	v.str("title", in.Title, 0, maxShortText)
	v.labels("labels", in.Labels)
	return v.err()
}

// validateContactUpdate checks a partial update whose email, when present, is
// already normalized. null is refused on every field but title.
func validateContactUpdate(in *model.UpdateContactInput) error {
	var v validation
	notNull(&v, "name", "a string", in.Name)
	notNull(&v, "email", "a string", in.Email)
	notNull(&v, "is_primary", "a boolean", in.IsPrimary)
	if in.Labels.IsSet() && in.Labels.Value() == nil {
		v.fail(stageTypes, apperr.InvalidType("labels", "an array of strings"))
	}
	v.str("name", in.Name.Value(), 1, maxName)
	v.email("email", in.Email.Value())
	v.str("title", in.Title.Value(), 0, maxShortText)
	v.labels("labels", in.Labels.Value())
	return v.err()
}
