package resolvers

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// TxHook runs inside a mutation's transaction after the mutation succeeded,
// with its result. The idempotency layer uses it to store the response in the
// same transaction as the write.
type TxHook func(ctx context.Context, tx *sqlx.Tx, result any) error

type txHookKey struct{}

// WithTxHook returns ctx whose next mutations run hook before committing.
func WithTxHook(ctx context.Context, hook TxHook) context.Context {
	return context.WithValue(ctx, txHookKey{}, hook)
}

// mutate runs fn in one transaction (retrying serialization failures), then
// writes the events fn put in the outbox and runs the context's TxHook, if any,
// in the same transaction.
func mutate[T any](ctx context.Context, r *Resolver, fn func(tx *sqlx.Tx, ev *Outbox) (T, error)) (T, error) {
	var out T
	hook, _ := ctx.Value(txHookKey{}).(TxHook)
	err := r.DB.Transact(ctx, func(tx *sqlx.Tx) error {
		var err error
		var ev Outbox
		if out, err = fn(tx, &ev); err != nil {
			return err
		}
		if err = ev.flush(ctx, r.DB, tx, r.Resource); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, out)
		}
		return nil
	})
	return out, err
}
