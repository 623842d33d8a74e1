package db

import (
	"context"
	"time"
)

// IdempotencyScope names one key: a key is unique per workspace, method and
// path. Path must be valid UTF-8 (callers pass the escaped path); Key may hold
// any bytes.
type IdempotencyScope struct {
	WorkspaceID string
	Method      string
	Path        string
	Key         string
}

// Idempotency key states.
const (
	IdemInProgress = "in_progress" // claimed, nothing written yet
	IdemExecuted   = "executed"    // a write committed, the response is not stored yet (GraphQL)
	IdemCompleted  = "completed"   // the response is stored
)

// IdempotencyRecord is a stored key as a later request finds it.
type IdempotencyRecord struct {
	RequestHash  []byte `db:"request_hash"`
	State        string `db:"state"`
	Token        string `db:"token"`
	LeaseExpired bool   `db:"lease_expired"`
	Status       *int   `db:"status"`
	Body         []byte `db:"body"`
}

// ClaimIdempotencyKey claims s for the holder token with a lease, in one
// statement. A row older than ttl counts as absent (the key is fresh again),
// and so does an in_progress row whose lease ran out (its holder crashed).
// It returns claimed=true, or the record that holds the key. A record that
// vanished between the two statements (released or expired meanwhile) is
// retried.
func ClaimIdempotencyKey(ctx context.Context, q Queryer, s IdempotencyScope, hash []byte, token string,
	lease, ttl time.Duration) (claimed bool, held *IdempotencyRecord, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		var got []string
		err = q.SelectContext(ctx, &got, `
			INSERT INTO idempotency_keys AS k (workspace_id, method, path, key, request_hash, state, token, lease_until)
			VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, now() + $7 * interval '1 millisecond')
			ON CONFLICT (workspace_id, method, path, key) DO UPDATE
				SET request_hash = EXCLUDED.request_hash, state = 'in_progress', token = EXCLUDED.token,
					lease_until = EXCLUDED.lease_until, status = NULL, body = NULL, created_at = now()
				WHERE k.created_at < now() - $8 * interval '1 millisecond'
					OR (k.state = 'in_progress' AND k.lease_until < now())
			RETURNING k.token`,
			s.WorkspaceID, s.Method, s.Path, []byte(s.Key), hash, token, lease.Milliseconds(), ttl.Milliseconds())
		if err != nil {
			return false, nil, classify(err)
		}
		if len(got) == 1 && got[0] == token {
			return true, nil, nil
		}
		var rec IdempotencyRecord
		err = q.GetContext(ctx, &rec, `
			SELECT request_hash, state, token, lease_until < now() AS lease_expired, status, body
			FROM idempotency_keys
			WHERE workspace_id = $1 AND method = $2 AND path = $3 AND key = $4
				AND created_at >= now() - $5 * interval '1 millisecond'`,
			s.WorkspaceID, s.Method, s.Path, []byte(s.Key), ttl.Milliseconds())
		if err = classify(err); err == ErrNotFound {
			continue
		}
		if err != nil {
			return false, nil, err
		}
		return false, &rec, nil
	}
	return false, nil, classify(err)
}

// CompleteIdempotencyKey stores the response of the claim held by token. It
// reports false when token no longer holds the key (its lease was taken over).
func CompleteIdempotencyKey(ctx context.Context, q Queryer, s IdempotencyScope, token string, status int, body []byte) (bool, error) {
	res, err := q.ExecContext(ctx, `
		UPDATE idempotency_keys SET state = 'completed', status = $6, body = $7
		WHERE workspace_id = $1 AND method = $2 AND path = $3 AND key = $4 AND token = $5
			AND state IN ('in_progress', 'executed')`,
		s.WorkspaceID, s.Method, s.Path, []byte(s.Key), token, status, body)
	return affected(res, err)
}

// CompleteExecutedIdempotencyKey stores the response of token's claim only if
// a write marked it executed; false means nothing was written.
func CompleteExecutedIdempotencyKey(ctx context.Context, q Queryer, s IdempotencyScope, token string, status int, body []byte) (bool, error) {
	res, err := q.ExecContext(ctx, `
		UPDATE idempotency_keys SET state = 'completed', status = $6, body = $7
		WHERE workspace_id = $1 AND method = $2 AND path = $3 AND key = $4 AND token = $5 AND state = 'executed'`,
		s.WorkspaceID, s.Method, s.Path, []byte(s.Key), token, status, body)
	return affected(res, err)
}

// MarkIdempotencyKeyExecuted records, inside a write's transaction, that the
// write committed under token's claim. From then on the claim never expires
// into a fresh key before ttl: the write must not run twice.
func MarkIdempotencyKeyExecuted(ctx context.Context, q Queryer, s IdempotencyScope, token string) (bool, error) {
	res, err := q.ExecContext(ctx, `
		UPDATE idempotency_keys SET state = 'executed'
		WHERE workspace_id = $1 AND method = $2 AND path = $3 AND key = $4 AND token = $5
			AND state IN ('in_progress', 'executed')`,
		s.WorkspaceID, s.Method, s.Path, []byte(s.Key), token)
	return affected(res, err)
}

// ReleaseIdempotencyKey deletes token's claim if nothing was written under it.
// It reports whether a claim was released.
func ReleaseIdempotencyKey(ctx context.Context, q Queryer, s IdempotencyScope, token string) (bool, error) {
	res, err := q.ExecContext(ctx, `
		DELETE FROM idempotency_keys
		WHERE workspace_id = $1 AND method = $2 AND path = $3 AND key = $4 AND token = $5 AND state = 'in_progress'`,
		s.WorkspaceID, s.Method, s.Path, []byte(s.Key), token)
	return affected(res, err)
}

// FindIdempotencyResponse returns the response stored under token's claim, or
// ErrNotFound when there is none.
func FindIdempotencyResponse(ctx context.Context, q Queryer, s IdempotencyScope, token string) (status int, body []byte, err error) {
	var rec IdempotencyRecord
	err = q.GetContext(ctx, &rec, `
		SELECT request_hash, state, token, false AS lease_expired, status, body FROM idempotency_keys
		WHERE workspace_id = $1 AND method = $2 AND path = $3 AND key = $4 AND token = $5 AND state = 'completed'`,
		s.WorkspaceID, s.Method, s.Path, []byte(s.Key), token)
	if err != nil {
		return 0, nil, classify(err)
	}
	return *rec.Status, rec.Body, nil
}

// ExpireIdempotencyKeys deletes keys older than ttl in batches of batch rows,
// each its own short statement, so that no lock is held for long. It returns
// how many rows it deleted.
func ExpireIdempotencyKeys(ctx context.Context, q Queryer, ttl time.Duration, batch int) (int64, error) {
	var total int64
	for {
		res, err := q.ExecContext(ctx, `
			DELETE FROM idempotency_keys WHERE ctid IN (
				SELECT ctid FROM idempotency_keys
				WHERE created_at < now() - $1 * interval '1 millisecond'
				LIMIT $2)
			AND created_at < now() - $1 * interval '1 millisecond'`, ttl.Milliseconds(), batch)
		if err != nil {
			return total, classify(err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func affected(res interface{ RowsAffected() (int64, error) }, err error) (bool, error) {
	if err != nil {
		return false, classify(err)
	}
	n, err := res.RowsAffected()
	return n > 0, classify(err)
}
