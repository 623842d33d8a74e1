package resolvers

import (
	"container/list"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// planCacheBytes bounds the memory of the compiled read plans kept.
const planCacheBytes = 8 << 20

// planCache keeps compiled read plans by document shape, least recently used
// first out, within a bound in bytes. A plan depends on the document, the
// operation chosen and the Boolean variables (@skip, @include); every other
// value is read again on each run. Documents the planner cannot take are kept
// too (as a nil plan), so they are not compiled again.
type planCache struct {
	mu    sync.Mutex
	ll    *list.List
	items map[string]*list.Element
	bytes int
	limit int
}

type planEntry struct {
	key  string
	plan *plan
	size int
}

func planKey(oc *graphql.OperationContext) string {
	var b strings.Builder
	b.Grow(len(oc.RawQuery) + len(oc.OperationName) + 8)
	b.WriteString(oc.OperationName)
	b.WriteByte(0)
	for _, v := range oc.Operation.VariableDefinitions {
		if v.Type == nil || v.Type.Name() != "Boolean" {
			continue
		}
		switch x := oc.Variables[v.Variable].(type) {
		case bool:
			b.WriteString(strconv.FormatBool(x))
		case nil:
			b.WriteString("n")
		default:
			b.WriteString("?")
		}
		b.WriteByte(',')
	}
	b.WriteByte(0)
	b.WriteString(oc.RawQuery)
	return b.String()
}

// get returns the plan of oc's operation, compiling it on first use, or
// errNoPlan when the operation is the executor's.
func (c *planCache) get(oc *graphql.OperationContext) (*plan, error) {
	key := planKey(oc)
	c.mu.Lock()
	if c.items == nil {
		c.ll, c.items = list.New(), map[string]*list.Element{}
		if c.limit == 0 {
			c.limit = planCacheBytes
		}
	}
	if el, ok := c.items[key]; ok {
		c.ll.MoveToFront(el)
		p := el.Value.(*planEntry).plan
		c.mu.Unlock()
		if p == nil {
			return nil, errNoPlan
		}
		return p, nil
	}
	c.mu.Unlock()
	p, err := compilePlan(oc)
	if err != nil && err != errNoPlan {
		return nil, err
	}
	size := 2*len(key) + 64
	if p != nil {
		size += p.size
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if size <= c.limit {
		if _, ok := c.items[key]; !ok {
			c.items[key] = c.ll.PushFront(&planEntry{key: key, plan: p, size: size})
			c.bytes += size
		}
		for c.bytes > c.limit {
			el := c.ll.Back()
			e := el.Value.(*planEntry)
			c.ll.Remove(el)
			delete(c.items, e.key)
			c.bytes -= e.size
		}
	}
	if p == nil {
		return nil, errNoPlan
	}
	return p, nil
}
