package resolvers

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"pivotal/gqltypes"
	"pivotal/graph/model"
)

// setIf assigns a present, non-null value of a non-nullable field.
func setIf[T any](o graphql.Omittable[*T], dst *T) {
	if v, ok := o.ValueOK(); ok && v != nil {
		*dst = *v
	}
}

// setNullable assigns a present value of a nullable field; null clears it.
func setNullable[T any](o graphql.Omittable[*T], dst **T) {
	if v, ok := o.ValueOK(); ok {
		*dst = v
	}
}

// compactJSON returns the object's bytes without insignificant white space.
func compactJSON(j gqltypes.JSON) []byte {
	if j == nil {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, j); err != nil {
		return []byte(j)
	}
	return b.Bytes()
}

func timePtr(t *time.Time) *gqltypes.Time {
	if t == nil {
		return nil
	}
	g := gqltypes.Time(*t)
	return &g
}

// pageInfo builds a forward-only PageInfo for n nodes whose creation times at(i) gives.
func pageInfo(n int, hasMore bool, at func(i int) gqltypes.Time) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: hasMore}
	if n > 0 {
		start, end := encodeCursor(at(0).Time()), encodeCursor(at(n-1).Time())
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}
