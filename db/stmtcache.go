package db

import (
	"context"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jmoiron/sqlx"
)

// stmtCacheSize bounds the prepared JSON queries kept per pool. A query's
// text depends only on the shape of the GraphQL operation (values are
// parameters), and a dashboard sends few shapes, so a small cache spares
// PostgreSQL the parsing and planning of each request's large statement.
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
