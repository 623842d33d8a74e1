package db

import (
	"context"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jmoiron/sqlx"
)

// stmtCacheSize bounds the statements prepared through the pool (the key
// lookup, the customer lookup, the webhook dispatcher's claim: a few fixed
// texts run at every request or poll), sparing PostgreSQL their planning each
// time. The read path's level statements are prepared per connection instead
// (driverrows.go), where their rows are read without database/sql.
const stmtCacheSize = 256

type stmtCache struct {
	once  sync.Once
	cache *lru.Cache[string, *sqlx.Stmt]
}

// prepared returns the pool's prepared statement for query, preparing it
// on first use. Outside a pool (a transaction) it returns nil.
func prepared(ctx context.Context, q Queryer, query string) (*sqlx.Stmt, error) {
	store, ok := q.(*DB)
	if !ok {
		return nil, nil
	}
	c := store.stmts
	c.once.Do(func() {
		c.cache, _ = lru.NewWithEvict(stmtCacheSize, func(_ string, s *sqlx.Stmt) { s.Close() })
	})
	if s, ok := c.cache.Get(query); ok {
		return s, nil
	}
	s, err := store.PreparexContext(ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	if prev, loaded, _ := c.cache.PeekOrAdd(query, s); loaded {
		s.Close()
		return prev, nil
	}
	return s, nil
}
