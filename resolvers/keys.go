package resolvers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
)

// Scopes of today's full-access keys (spec §7 Meta).
var Scopes = []string{"read:customers", "write:customers", "read:contacts", "write:contacts", "read:onboardings", "write:onboardings"}

// Tiers are the rate-limit tiers an operator may give a key.
var Tiers = []string{"standard", "paid", "unlimited"}

var (
	errMissingKey = apperr.New(apperr.Unauthenticated, "missing_api_key",
		"No API key provided. Send it as 'Authorization: Bearer <key>'.")
	errInvalidKey = apperr.New(apperr.Unauthenticated, "invalid_api_key", "Invalid API key provided.")
	errRevokedKey = apperr.New(apperr.Unauthenticated, "api_key_revoked", "This API key has been revoked.")
)

// Authenticate resolves an Authorization header to an identity with one
// indexed query, so a revoked key is refused on its very next request. It
// records last use at most once a minute. Returns missing_api_key,
// invalid_api_key or api_key_revoked.
func (r *Resolver) Authenticate(ctx context.Context, header string) (*auth.Identity, error) {
	token, ok := auth.BearerToken(header)
	if !ok {
		return nil, errMissingKey
	}
	if _, ok := auth.ParseKey(token); !ok {
		return nil, errInvalidKey
	}
	k, err := db.FindKeyByHash(ctx, r.DB, auth.Hash(token))
	if errors.Is(err, db.ErrNotFound) {
		return nil, errInvalidKey
	}
	if err != nil {
		return nil, err
	}
	if k.RevokedAt != nil {
		return nil, errRevokedKey
	}
	if k.Stale {
		// Best effort and off the request path: a lost touch only delays a timestamp.
		go func(ws, id string) {
			// A fresh context: the touch is not part of the request's work.
			ctx, cancel := context.WithTimeout(context.Background(), defaultBackgroundTimeout)
			defer cancel()
			if err := db.TouchKey(ctx, r.DB, ws, id); err != nil {
				r.Log.Warn("recording key use failed", "key_prefix", k.Prefix, "err", err.Error())
			}
		}(k.WorkspaceID, k.ID)
	}
	return &auth.Identity{
		WorkspaceID: k.WorkspaceID, WorkspaceSlug: k.WorkspaceSlug, WorkspaceName: k.WorkspaceName,
		KeyID: k.ID, KeyName: k.Name, KeyPrefix: k.Prefix, Livemode: k.Livemode, Tier: k.Tier,
	}, nil
}

func toAPIKey(k *db.APIKey) *model.APIKey {
	return &model.APIKey{
		ID: k.ID, Name: k.Name, Prefix: k.Prefix, Livemode: k.Livemode,
		RateLimitTier: model.RateLimitTier(strings.ToUpper(k.Tier)),
		CreatedAt:     gqltypes.Time(k.CreatedAt), LastUsedAt: timePtr(k.LastUsedAt), RevokedAt: timePtr(k.RevokedAt),
	}
}

// Me describes the caller. It reads nothing: authentication loaded it all.
func (r *Resolver) Me(ctx context.Context) (*model.Me, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	return &model.Me{
		APIKey: &model.APIKey{ID: who.KeyID, Name: who.KeyName, Prefix: who.KeyPrefix, Livemode: who.Livemode,
			RateLimitTier: model.RateLimitTier(strings.ToUpper(who.Tier))},
		Workspace: &model.Workspace{ID: who.WorkspaceID, Slug: who.WorkspaceSlug, Name: who.WorkspaceName},
		Livemode:  who.Livemode,
		Scopes:    Scopes,
	}, nil
}

// APIKeys lists the caller's workspace's keys.
func (r *Resolver) APIKeys(ctx context.Context) ([]model.APIKey, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	return r.listKeys(ctx, who.WorkspaceID)
}

func (r *Resolver) listKeys(ctx context.Context, workspaceID string) ([]model.APIKey, error) {
	ks, err := db.FindKeys(ctx, r.DB, workspaceID)
	if err != nil {
		return nil, err
	}
	out := make([]model.APIKey, len(ks))
	for i := range ks {
		out[i] = *toAPIKey(&ks[i])
	}
	return out, nil
}

// NewKey is a created key and its cleartext, shown once.
type NewKey struct {
	Key    *model.APIKey
	Secret string
}

// DefaultMaxAPIKeys is how many active keys a workspace may hold before
// createApiKey refuses another (Resolver.MaxAPIKeys).
const DefaultMaxAPIKeys = 100

// CreateAPIKey creates a key in the caller's workspace with the caller's tier
// (only the operator's CLI sets tiers). test nil means the caller's own mode;
// a test key creates only test keys. Every key is a rate-limit window of its
// own, so a workspace holds at most MaxAPIKeys active keys. Returns
// test_key_creates_test_keys or api_key_limit_reached.
func (r *Resolver) CreateAPIKey(ctx context.Context, name string, test *bool) (*NewKey, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	if err := validKeyName(name); err != nil {
		return nil, err
	}
	isTest := !who.Livemode
	if test != nil {
		isTest = *test
	}
	if !who.Livemode && !isTest {
		return nil, &apperr.Error{Kind: apperr.Invalid, Code: "test_key_creates_test_keys", Field: "test",
			Message: "A test key can create only test keys; use a live key to create a live key."}
	}
	limit := r.MaxAPIKeys
	if limit <= 0 {
		limit = DefaultMaxAPIKeys
	}
	secret, prefix := auth.NewKey(isTest)
	k := db.APIKey{WorkspaceID: who.WorkspaceID, Name: name, Prefix: prefix, Hash: auth.Hash(secret), Livemode: !isTest, Tier: who.Tier}
	err = db.CreateKeyCapped(ctx, r.DB, &k, limit)
	if errors.Is(err, db.ErrKeyLimit) {
		return nil, &apperr.Error{Kind: apperr.Conflict, Code: "api_key_limit_reached",
			Message: fmt.Sprintf("The workspace has %d active API keys, the most it may hold; revoke one first.", limit)}
	}
	if err != nil {
		return nil, invalidValue(err)
	}
	return &NewKey{Key: toAPIKey(&k), Secret: secret}, nil
}

func (r *Resolver) createKey(ctx context.Context, workspaceID, name string, test bool, tier string) (*NewKey, error) {
	secret, prefix := auth.NewKey(test)
	k := db.APIKey{WorkspaceID: workspaceID, Name: name, Prefix: prefix, Hash: auth.Hash(secret), Livemode: !test, Tier: tier}
	if err := db.CreateKey(ctx, r.DB, &k); err != nil {
		return nil, invalidValue(err)
	}
	return &NewKey{Key: toAPIKey(&k), Secret: secret}, nil
}

// RevokeAPIKey revokes a key of the caller's workspace named by id, visible
// prefix or full key. Returns api_key_not_found, or ambiguous_api_key when a
// prefix names several keys.
func (r *Resolver) RevokeAPIKey(ctx context.Context, ref string) (*model.APIKey, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	k, _, err := r.revokeKey(ctx, who.WorkspaceID, ref)
	return k, err
}

func (r *Resolver) revokeKey(ctx context.Context, workspaceID, ref string) (*model.APIKey, bool, error) {
	// A full key is matched by its hash alone: the key itself never reaches
	// PostgreSQL (its log, pg_stat_activity). An id or a prefix is not secret.
	idOrPrefix, hash := ref, []byte(nil)
	if _, full := auth.ParseKey(ref); full {
		idOrPrefix, hash = "", auth.Hash(ref)
	}
	ks, err := db.MatchKeys(ctx, r.DB, workspaceID, idOrPrefix, hash)
	if err != nil {
		return nil, false, err
	}
	switch {
	case len(ks) == 0:
		return nil, false, apperr.NotFoundError("api_key")
	case len(ks) > 1:
		return nil, false, &apperr.Error{Kind: apperr.Invalid, Code: "ambiguous_api_key", Field: "id",
			Message: "That prefix names more than one key; use the key's id."}
	}
	already := ks[0].RevokedAt != nil
	ks, err = db.RevokeKey(ctx, r.DB, ks[0].WorkspaceID, ks[0].ID, nil)
	if err != nil {
		return nil, false, notFound(err, "api_key")
	}
	return toAPIKey(&ks[0]), already, nil
}

// Operator commands (the CLI): they act on any workspace. Their Validate
// functions (key_rules.go) let the CLI refuse bad input before it opens the
// database.

// OperatorCreateKey creates workspace slug if needed and a key in it.
func (r *Resolver) OperatorCreateKey(ctx context.Context, slug, name string, test bool, tier string) (*NewKey, error) {
	if err := ValidateOperatorKey(slug, name, tier); err != nil {
		return nil, err
	}
	ws, err := db.EnsureWorkspace(ctx, r.DB, slug, slug)
	if err != nil {
		return nil, err
	}
	return r.createKey(ctx, ws.ID, name, test, tier)
}

// OperatorListKeys lists the keys of workspace slug.
func (r *Resolver) OperatorListKeys(ctx context.Context, slug string) ([]model.APIKey, error) {
	ws, err := db.FindWorkspaceBySlug(ctx, r.DB, slug)
	if err != nil {
		return nil, notFound(err, "workspace")
	}
	return r.listKeys(ctx, ws.ID)
}

// OperatorRevokeKey revokes a key of any workspace by id, prefix or full key;
// already reports that it was revoked before (its revokedAt is unchanged).
func (r *Resolver) OperatorRevokeKey(ctx context.Context, ref string) (k *model.APIKey, already bool, err error) {
	return r.revokeKey(ctx, "", ref)
}
