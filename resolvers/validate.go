package resolvers

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"pivotal/apperr"
)

// Validation runs in stages across all fields (spec §8): types, then bounds,
// then enums and formats; within a stage the first field (in the order the
// spec lists them) wins. Callers check fields in that order.
type stage int

const (
	stageTypes stage = iota
	stageBounds
	stageEnums
	stageFormats
	stageCount
)

type validation struct{ first [stageCount]*apperr.Error }

func (v *validation) fail(s stage, e *apperr.Error) {
	if v.first[s] == nil {
		v.first[s] = e
	}
}

// err returns the first failure of the earliest failing stage.
func (v *validation) err() error {
	for _, e := range v.first {
		if e != nil {
			return e
		}
	}
	return nil
}

// str checks the length of an optional string, in characters.
func (v *validation) str(field string, s *string, min, max int) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < min {
		if min == 1 {
			v.fail(stageBounds, apperr.TooSmall(field, "%s must not be empty", field))
		} else {
			v.fail(stageBounds, apperr.TooSmall(field, "%s must be at least %d characters", field, min))
		}
	}
	if n > max {
		v.fail(stageBounds, apperr.TooBig(field, "%s must be at most %d characters", field, max))
	}
}

// intRange checks an optional integer against [min, max].
func (v *validation) intRange(field string, n *int, min, max int) {
	if n == nil {
		return
	}
	if *n < min {
		v.fail(stageBounds, apperr.TooSmall(field, "%s must be at least %d", field, min))
	}
	if *n > max {
		v.fail(stageBounds, apperr.TooBig(field, "%s must be at most %d", field, max))
	}
}

// notNull refuses an explicit null on a field that cannot be null.
func notNull[T any](v *validation, field, want string, o graphql.Omittable[*T]) {
	if o.IsSet() && o.Value() == nil {
		v.fail(stageTypes, apperr.InvalidType(field, want))
	}
}

// enum checks an optional enum value against its type's IsValid.
func enum[T interface {
	~string
	IsValid() bool
}](v *validation, field string, val *T, all []T) {
	if val != nil && !(*val).IsValid() {
		names := make([]string, len(all))
		for i, a := range all {
			names[i] = RESTEnum(a)
		}
		v.fail(stageEnums, apperr.InvalidEnum(field, names))
	}
}

// Limits on metadata (spec §7).
const (
	maxMetadataBytes = 16 * 1024
	maxMetadataKeys  = 50
)

func (v *validation) metadata(field string, raw []byte) {
	if raw == nil {
		return
	}
	if len(raw) > maxMetadataBytes {
		v.fail(stageBounds, apperr.TooBig(field, "%s must be at most 16 KiB when serialized", field))
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		v.fail(stageTypes, apperr.InvalidType(field, "an object"))
		return
	}
	if len(m) > maxMetadataKeys {
		v.fail(stageBounds, apperr.TooBig(field, "%s must have at most %d keys", field, maxMetadataKeys))
	}
}

// RESTEnum spells a GraphQL enum value (AT_RISK) the REST way (at_risk).
func RESTEnum[T ~string](v T) string { return strings.ToLower(string(v)) }

// EnumFromREST reads a REST enum value (at_risk) as the GraphQL enum. Only the
// exact lowercase spelling is accepted; anything else yields a value whose
// IsValid is false, so validation reports it in the enum stage.
func EnumFromREST[T ~string](s string) T {
	if s != strings.ToLower(s) || s != strings.TrimSpace(s) {
		return T("\x00" + s)
	}
	return T(strings.ToUpper(s))
}

func ptrEnumToREST[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := RESTEnum(*v)
	return &s
}

func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func intPtr64(p *int) *int64 {
	if p == nil {
		return nil
	}
	n := int64(*p)
	return &n
}

func int64PtrInt(p *int64) *int {
	if p == nil {
		return nil
	}
	n := int(*p)
	return &n
}

func lowerPtr(p *string) *string {
	if p == nil {
		return nil
	}
	s := strings.ToLower(*p)
	return &s
}
