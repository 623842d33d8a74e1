package db

import (
	"context"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// where builds a conjunction with numbered placeholders; "?" in each condition
// becomes the next $n.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

func sqlxNamedExec(ctx context.Context, q Queryer, query string, arg any) (any, error) {
	return sqlx.NamedExecContext(ctx, q, query, arg)
}
