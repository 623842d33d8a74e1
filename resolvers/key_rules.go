package resolvers

import (
	"fmt"

	"pivotal/apperr"
	"pivotal/auth"
)

func validKeyName(name string) error {
	var v validation
	v.str("name", &name, 1, maxName)
	return v.err()
}

// ValidateWorkspaceSlug checks a workspace slug as the operator commands take it.
func ValidateWorkspaceSlug(slug string) error {
	if !validSlug(slug) {
		return apperr.InvalidString("workspace", "workspace must be a slug: lowercase letters, digits and inner hyphens")
	}
	return nil
}

// ValidateOperatorKey checks OperatorCreateKey's input.
func ValidateOperatorKey(slug, name, tier string) error {
	if err := ValidateWorkspaceSlug(slug); err != nil {
		return err
	}
	if err := validKeyName(name); err != nil {
		return err
	}
	for _, t := range Tiers {
		if t == tier {
			return nil
		}
	}
	return apperr.InvalidEnum("tier", Tiers)
}

// ValidateKeyRef checks that ref can name a key: a key id (a cuid), a visible
// prefix (pivotal_ or pivotal_test_ and 8 characters) or a full key.
func ValidateKeyRef(ref string) error {
	if _, ok := auth.ParseKey(ref); ok || isCUID(ref) || auth.IsPrefix(ref) {
		return nil
	}
	return apperr.InvalidString("id", fmt.Sprintf("%q is not a key id (c followed by 24 characters), a visible prefix (pivotal_XXXXXXXX) or a full key", ref))
}
