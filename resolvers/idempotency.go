package resolvers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"pivotal/apperr"
	"pivotal/db"
)

// Idempotency (spec §5).
//
// Claim protocol, the same for every instance because the database is the store:
//
//  1. ClaimIdempotencyKey inserts the key in_progress with a random token and a
//     lease (one autocommit statement, INSERT … ON CONFLICT). A key already
//     present answers instead: completed → replay (or 409
//     idempotency_key_reused for another body), in flight → 409
//     idempotency_key_in_use. A row past the 24-hour TTL, or an in_progress
//     claim whose lease ran out (its holder crashed), is taken over.
//  2. The request runs with a TxHook. Every mutation calls it inside its own
//     transaction: REST renders the result and stores the response (completed),
//     GraphQL marks the claim executed. Both match on the token, so a holder
//     whose lease was taken over cannot store and its write rolls back.
//  3. Settle: if nothing was written, the claim is deleted (failed requests are
//     not stored, and the client may retry with the same key). GraphQL stores
//     its whole response over the executed mark right after execution.
const (
	IdempotencyTTL = 24 * time.Hour
	// IdempotencyLease bounds how long a crashed claim blocks its key. A request
	// runs far shorter (statement timeouts, the server's write timeout).
	IdempotencyLease = time.Minute
	// MaxIdempotencyKey is the longest key, in bytes.
	MaxIdempotencyKey = 255
	// idempotencyField is how errors name the header.
	idempotencyField = "Idempotency-Key"
)

// ValidateIdempotencyKey checks a key's length: 1–255 bytes.
func ValidateIdempotencyKey(key string) error {
	switch {
	case key == "":
		return apperr.TooSmall(idempotencyField, "Idempotency-Key must not be empty")
	case len(key) > MaxIdempotencyKey:
		return apperr.TooBig(idempotencyField, "Idempotency-Key must be at most %d bytes", MaxIdempotencyKey)
	}
	return nil
}

var (
	errKeyReused = apperr.New(apperr.Conflict, "idempotency_key_reused",
		"This Idempotency-Key was already used with a different request body.")
	errKeyInUse = apperr.New(apperr.Conflict, "idempotency_key_in_use",
		"A request with this Idempotency-Key is still in progress. Retry shortly.")
	errKeyLost = apperr.New(apperr.Conflict, "idempotency_key_in_use",
		"A request with this Idempotency-Key was executed but its response was not recorded; it will not be executed again.")
)

// IdempotentRequest is what a key is claimed for.
type IdempotentRequest struct {
	Method, Path, Key string
	Body              []byte
}

// StoredResponse is a response as stored and replayed.
type StoredResponse struct {
	Status int
	Body   []byte
}

// Claim is a request's hold on its idempotency key.
type Claim struct {
	r     *Resolver
	scope db.IdempotencyScope
	token string
	// inTx: the hook stores the response itself (REST); otherwise it marks the
	// claim executed and Settle stores the response (GraphQL).
	inTx  bool
	wrote atomic.Bool
}

// ClaimIdempotencyKey claims req's key for the caller. It returns a claim to run
// the request under, or the stored response to replay. Returns
// idempotency_key_reused or idempotency_key_in_use.
func (r *Resolver) ClaimIdempotencyKey(ctx context.Context, req IdempotentRequest) (*Claim, *StoredResponse, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := ValidateIdempotencyKey(req.Key); err != nil {
		return nil, nil, err
	}
	var tok [16]byte
	rand.Read(tok[:])
	c := &Claim{r: r, token: hex.EncodeToString(tok[:]),
		scope: db.IdempotencyScope{WorkspaceID: who.WorkspaceID, Method: req.Method, Path: req.Path, Key: req.Key}}
	hash := sha256.Sum256(req.Body)
	claimed, held, err := db.ClaimIdempotencyKey(ctx, r.DB, c.scope, hash[:], c.token, IdempotencyLease, IdempotencyTTL)
	switch {
	case err != nil:
		return nil, nil, err
	case claimed:
		return c, nil, nil
	case string(held.RequestHash) != string(hash[:]):
		return nil, nil, errKeyReused
	case held.State == db.IdemCompleted:
		if r.Hooks.IdempotentReplay != nil {
			r.Hooks.IdempotentReplay()
		}
		return nil, &StoredResponse{Status: *held.Status, Body: held.Body}, nil
	case held.State == db.IdemExecuted && held.LeaseExpired:
		return nil, nil, errKeyLost
	}
	return nil, nil, errKeyInUse
}

// StoreHook returns the TxHook of a request whose response is rendered from the
// mutation's result: render gives the response, stored in the write's transaction.
func (c *Claim) StoreHook(render func(result any) (StoredResponse, error)) TxHook {
	c.inTx = true
	return func(ctx context.Context, tx *sqlx.Tx, result any) error {
		resp, err := render(result)
		if err != nil {
			return err
		}
		c.wrote.Store(true)
		ok, err := db.CompleteIdempotencyKey(ctx, tx, c.scope, c.token, resp.Status, resp.Body)
		if err == nil && !ok {
			err = errKeyInUse
		}
		return err
	}
}

// MarkHook returns the TxHook of a request whose response is known only after
// all its mutations ran (GraphQL): each mutation's transaction marks the claim
// executed, and Settle then stores the response.
func (c *Claim) MarkHook() TxHook {
	return func(ctx context.Context, tx *sqlx.Tx, result any) error {
		c.wrote.Store(true)
		ok, err := db.MarkIdempotencyKeyExecuted(ctx, tx, c.scope, c.token)
		if err == nil && !ok {
			err = errKeyInUse
		}
		return err
	}
}

// Settle ends the claim after the request ran and returns the response to
// send. A claim under which nothing committed is released; otherwise the
// stored response is what the client gets, exactly as a replay will get it.
func (c *Claim) Settle(ctx context.Context, resp StoredResponse) StoredResponse {
	// Settle even when the client went away: a dangling claim blocks the key.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultBackgroundTimeout)
	defer cancel()
	if !c.wrote.Load() {
		c.release(ctx)
		return resp
	}
	if !c.inTx {
		ok, err := db.CompleteExecutedIdempotencyKey(ctx, c.r.DB, c.scope, c.token, resp.Status, resp.Body)
		if err != nil {
			c.r.Log.Error("storing an idempotent response failed; the key stays blocked", "err", err.Error())
		} else if !ok {
			c.release(ctx) // no mutation committed
		}
		return resp
	}
	// The hook ran, but its transaction may have rolled back.
	if c.release(ctx) {
		return resp
	}
	status, body, err := db.FindIdempotencyResponse(ctx, c.r.DB, c.scope, c.token)
	if err != nil {
		if !errors.Is(err, db.ErrNotFound) {
			c.r.Log.Error("reading a stored idempotent response failed", "err", err.Error())
		}
		return resp
	}
	return StoredResponse{Status: status, Body: body}
}

// release deletes the claim if it is still in_progress; it reports whether it did.
func (c *Claim) release(ctx context.Context) bool {
	ok, err := db.ReleaseIdempotencyKey(ctx, c.r.DB, c.scope, c.token)
	if err != nil {
		c.r.Log.Warn("releasing an idempotency key failed; it frees itself when its lease ends", "err", err.Error())
	}
	return ok
}

// ExpireIdempotencyKeys deletes keys past their 24 hours, in batches of 1000.
func (r *Resolver) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	return db.ExpireIdempotencyKeys(ctx, r.DB, IdempotencyTTL, 1000)
}

// RunIdempotencyJanitor expires keys every interval until ctx ends. Several
// instances may run it at once: batches are small and deletes idempotent.
func (r *Resolver) RunIdempotencyJanitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := r.ExpireIdempotencyKeys(ctx)
		if err != nil && ctx.Err() == nil {
			r.Log.Warn("expiring idempotency keys failed", "err", err.Error())
		} else if n > 0 {
			r.Log.Info("expired idempotency keys", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
