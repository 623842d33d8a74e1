package resolvers

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"pivotal/auth"
	"pivotal/db"
)

// A read plan answers a read-only operation over customers, contacts and
// onboardings from plain rows: one statement per level (the root page; the
// pages or rows of every parent of a level at once), and the response written
// by Go from the rows, byte for byte as gqlgen's executor would write it.
//
// Compiling a plan walks the operation with gqlgen's own CollectFields, so
// fragments, aliases, @skip/@include and field merging behave as in the
// executor. Every connection or to-one field met is a slot; slots of the same
// relation under the same level share a group, and a group is one statement
// whatever the aliases, repetitions or fragments: the statement's text depends
// on the table, the relation and the columns, and each slot's parents, page
// sizes, cursors and filters are its parameters. A plan holds no argument
// values: they are read from the document and the variables on every run, so
// one plan serves every request of the same document (and values of the
// Boolean variables, which @skip and @include read).

// errNoPlan means the operation is the executor's.
var errNoPlan = errors.New("resolvers: no read plan")

type slotKind uint8

const (
	slotConn slotKind = iota // a connection: nodes, edges, pageInfo
	slotOne                  // one object or null
	slotList                 // every row (the timeline)
)

// group is one level statement's shape.
type group struct {
	id     int
	ent    *Entity
	rel    db.Relation
	parent *group
	// keyCol is the column of the parent's rows holding each ask's key.
	keyCol   string
	keyIndex int
	cols     map[string]bool
	columns  []string // cols in the table's order
	colIndex map[string]int
	slots    []*slot
	// levels are the group's statements, by filter shape (db.Filter →
	// *db.Level), each built once for every run of the plan.
	levels sync.Map
}

// level returns the group's statement for filter shape.
func (g *group) level(shape db.Filter) *db.Level {
	if l, ok := g.levels.Load(shape); ok {
		return l.(*db.Level)
	}
	l := &db.Level{Table: g.ent.Table, Rel: g.rel, Columns: g.columns, Filters: shape}
	if _, err := l.SQL(); err != nil {
		return l // its Query reports the error
	}
	stored, _ := g.levels.LoadOrStore(shape, l)
	return stored.(*db.Level)
}

// slot is one connection, object or list field of the operation.
type slot struct {
	id     int
	kind   slotKind
	group  *group
	parent *slot // nil at the root
	field  graphql.CollectedField
	// root and defFirst say how the arguments are read.
	root     bool
	defFirst int
	// lookahead: hasNextPage is asked, so one row beyond the page is read.
	lookahead bool
	conn      []connKey // slotConn
	obj       *object   // slotOne, slotList
}

type keyKind uint8

const (
	keyColumn keyKind = iota
	keyConst          // a constant string (__typename)
	keySlot           // a nested slot
	keyNodes
	keyEdges
	keyPageInfo
	keyCursor
	keyNode
	keyHasNext
	keyHasPrev
	keyStartCursor
	keyEndCursor
)

// object is the selection of one row.
type object struct {
	group *group
	keys  []objKey
}

type objKey struct {
	key    []byte // "alias":
	kind   keyKind
	column string
	col    int
	enc    Enc
	text   []byte // keyConst: the quoted value
	slot   *slot
}

// connKey is a key of a connection, of an edge or of pageInfo.
type connKey struct {
	key  []byte
	kind keyKind
	text []byte    // keyConst
	sub  []connKey // edges, pageInfo
	obj  *object   // nodes, node
}

type rootKey struct {
	key  []byte
	text []byte // __typename
	slot *slot
}

// plan is a compiled operation.
type plan struct {
	roots  []rootKey
	groups []*group
	slots  []*slot
	// size estimates the plan's memory, for the cache's bound.
	size int
	// outHint is the length of the last response written, to size the next.
	outHint atomic.Int64
}

type compiler struct {
	oc *graphql.OperationContext
	p  *plan
}

func jsonKey(alias string) []byte {
	b := strconv.AppendQuote(nil, alias)
	return append(b, ':')
}

func (c *compiler) collect(sel ast.SelectionSet, types ...string) []graphql.CollectedField {
	return graphql.CollectFields(c.oc, sel, types)
}

// compilePlan compiles the operation of oc, or returns errNoPlan.
func compilePlan(oc *graphql.OperationContext) (*plan, error) {
	c := &compiler{oc: oc, p: &plan{}}
	roots := map[db.Table]*group{}
	for _, f := range c.collect(oc.Operation.SelectionSet, "Query") {
		c.p.size += len(f.Alias) + 64
		switch f.Name {
		case "__typename":
			c.p.roots = append(c.p.roots, rootKey{key: jsonKey(f.Alias), text: []byte(`"Query"`)})
		case "customers", "onboardings":
			ent, def := CustomerEntity, 20
			if f.Name == "onboardings" {
				ent, def = OnboardingEntity, 25
			}
			g := roots[ent.Table]
			if g == nil {
				g = c.group(nil, ent, db.RelRoot, "")
				roots[ent.Table] = g
			}
			s, err := c.conn(g, nil, f, def)
			if err != nil {
				return nil, err
			}
			s.root = true
			c.p.roots = append(c.p.roots, rootKey{key: jsonKey(f.Alias), slot: s})
		default:
			return nil, errNoPlan
		}
	}
	for _, g := range c.p.groups {
		if len(g.cols) == 0 {
			g.cols["id"] = true // a statement selects something
		}
		g.columns = g.columns[:0]
		g.colIndex = map[string]int{}
		for _, col := range db.Columns(g.ent.Table) {
			if g.cols[col] {
				g.colIndex[col] = len(g.columns)
				g.columns = append(g.columns, col)
			}
		}
		if g.parent != nil {
			g.keyIndex = g.parent.colIndex[g.keyCol]
		}
		// The group, and the statement it builds at its first run (one
		// filter shape as a rule: the Level and its SQL, 0.5–1.2 KB).
		c.p.size += 256 + 32*len(g.columns) + 1024 + 48*len(g.columns)
	}
	for _, s := range c.p.slots {
		c.resolve(s)
	}
	return c.p, nil
}

// resolve sets the column indexes of s's objects once the groups' columns are known.
func (c *compiler) resolve(s *slot) {
	var objs []*object
	if s.obj != nil {
		objs = append(objs, s.obj)
	}
	var walk func(ks []connKey)
	walk = func(ks []connKey) {
		for _, k := range ks {
			if k.obj != nil {
				objs = append(objs, k.obj)
			}
			walk(k.sub)
		}
	}
	walk(s.conn)
	for _, o := range objs {
		for i := range o.keys {
			if o.keys[i].kind == keyColumn {
				o.keys[i].col = o.group.colIndex[o.keys[i].column]
			}
		}
	}
}

// group returns parent's group of rel over ent, creating it.
func (c *compiler) group(parent *group, ent *Entity, rel db.Relation, keyCol string) *group {
	for _, g := range c.p.groups {
		if g.parent == parent && g.ent == ent && g.rel == rel && g.keyCol == keyCol {
			return g
		}
	}
	g := &group{id: len(c.p.groups), ent: ent, rel: rel, parent: parent, keyCol: keyCol, cols: map[string]bool{}}
	if parent != nil {
		parent.cols[keyCol] = true
	}
	c.p.groups = append(c.p.groups, g)
	return g
}

func (c *compiler) newSlot(kind slotKind, g *group, parent *slot, f graphql.CollectedField) *slot {
	s := &slot{id: len(c.p.slots), kind: kind, group: g, parent: parent, field: f}
	g.slots = append(g.slots, s)
	c.p.slots = append(c.p.slots, s)
	c.p.size += 128
	return s
}

// conn compiles connection field f, whose rows are g's.
func (c *compiler) conn(g *group, parent *slot, f graphql.CollectedField, def int) (*slot, error) {
	s := c.newSlot(slotConn, g, parent, f)
	s.defFirst = def
	typ := g.ent.Type
	for _, cf := range c.collect(f.Selections, typ+"Connection") {
		c.p.size += len(cf.Alias) + 48
		k := connKey{key: jsonKey(cf.Alias)}
		switch cf.Name {
		case "__typename":
			k.kind, k.text = keyConst, []byte(`"`+typ+`Connection"`)
		case "nodes":
			obj, err := c.object(g, s, cf.Selections)
			if err != nil {
				return nil, err
			}
			k.kind, k.obj = keyNodes, obj
		case "edges":
			k.kind = keyEdges
			for _, ef := range c.collect(cf.Selections, typ+"Edge") {
				c.p.size += len(ef.Alias) + 48
				e := connKey{key: jsonKey(ef.Alias)}
				switch ef.Name {
				case "cursor":
					e.kind = keyCursor
					g.cols["created_at"] = true
				case "__typename":
					e.kind, e.text = keyConst, []byte(`"`+typ+`Edge"`)
				case "node":
					obj, err := c.object(g, s, ef.Selections)
					if err != nil {
						return nil, err
					}
					e.kind, e.obj = keyNode, obj
				default:
					return nil, errNoPlan
				}
				k.sub = append(k.sub, e)
			}
		case "pageInfo":
			k.kind = keyPageInfo
			for _, pf := range c.collect(cf.Selections, "PageInfo") {
				c.p.size += len(pf.Alias) + 48
				e := connKey{key: jsonKey(pf.Alias)}
				switch pf.Name {
				case "hasNextPage":
					e.kind, s.lookahead = keyHasNext, true
				case "hasPreviousPage":
					e.kind = keyHasPrev
				case "startCursor":
					e.kind = keyStartCursor
					g.cols["created_at"] = true
				case "endCursor":
					e.kind = keyEndCursor
					g.cols["created_at"] = true
				case "__typename":
					e.kind, e.text = keyConst, []byte(`"PageInfo"`)
				default:
					return nil, errNoPlan
				}
				k.sub = append(k.sub, e)
			}
		default:
			return nil, errNoPlan
		}
		s.conn = append(s.conn, k)
	}
	return s, nil
}

// object compiles the selection of one row of g, read for slot s.
func (c *compiler) object(g *group, s *slot, sel ast.SelectionSet) (*object, error) {
	typ := g.ent.Type
	types := []string{typ}
	if g.ent != PhaseTransitionEntity {
		types = append(types, "Node")
	}
	o := &object{group: g}
	for _, f := range c.collect(sel, types...) {
		c.p.size += len(f.Alias) + 64
		k := objKey{key: jsonKey(f.Alias)}
		if f.Name == "__typename" {
			k.kind, k.text = keyConst, []byte(`"`+typ+`"`)
			o.keys = append(o.keys, k)
			continue
		}
		if fd := g.ent.byGraphQL[f.Name]; fd != nil {
			k.kind, k.column, k.enc = keyColumn, fd.Column, fd.Enc
			g.cols[fd.Column] = true
			o.keys = append(o.keys, k)
			continue
		}
		var child *slot
		var err error
		switch {
		case f.Name == "customer" && (g.ent == ContactEntity || g.ent == OnboardingEntity):
			child, err = c.one(c.group(g, CustomerEntity, db.RelID, "customer_id"), s, f)
		case f.Name == "primaryContact" && g.ent == CustomerEntity:
			child, err = c.one(c.group(g, ContactEntity, db.RelPrimary, "id"), s, f)
		case f.Name == "timeline" && g.ent == OnboardingEntity:
			child, err = c.one(c.group(g, PhaseTransitionEntity, db.RelOnboarding, "id"), s, f)
			if child != nil {
				child.kind = slotList
			}
		case f.Name == "contacts" && g.ent == CustomerEntity:
			child, err = c.conn(c.group(g, ContactEntity, db.RelCustomer, "id"), s, f, 20)
		case f.Name == "onboardings" && g.ent == CustomerEntity:
			child, err = c.conn(c.group(g, OnboardingEntity, db.RelCustomer, "id"), s, f, 25)
		case f.Name == "onboardings" && g.ent == ContactEntity:
			// A contact takes part in every onboarding of its customer.
			child, err = c.conn(c.group(g, OnboardingEntity, db.RelCustomer, "customer_id"), s, f, 25)
		default:
			return nil, errNoPlan
		}
		if err != nil {
			return nil, err
		}
		k.kind, k.slot = keySlot, child
		o.keys = append(o.keys, k)
	}
	return o, nil
}

func (c *compiler) one(g *group, parent *slot, f graphql.CollectedField) (*slot, error) {
	s := c.newSlot(slotOne, g, parent, f)
	obj, err := c.object(g, s, f.Selections)
	if err != nil {
		return nil, err
	}
	s.obj = obj
	return s, nil
}

// ---------------------------------------------------------------- running

// askArgs are a slot's argument values in one request.
type askArgs struct {
	first                      int // page size (0 for objects and lists)
	limit                      int // rows to read per parent
	before                     *time.Time
	filters                    db.Filter
	status, slug, phase, state string
}

// askKey identifies an ask within a group, so equal asks are read once.
type askKey struct {
	key                        string
	limit                      int
	before                     time.Time
	hasBefore                  bool
	filters                    db.Filter
	status, slug, phase, state string
}

// run is one request's execution of a plan.
type run struct {
	p    *plan
	args []askArgs
	rows []*db.Rows
	// per group: the rows of each ask, as index ranges into order
	order    [][]int32
	askFrom  [][]int32
	askTo    [][]int32
	askCount []int
	// per slot: the ask of each parent row (indexed by the parent group's
	// row), or for a root slot its one ask.
	askOf [][]int32
}

// bind reads every slot's arguments; errNoPlan when one is beyond the plan
// (out of range, an invalid cursor, a customer filter that may not exist).
func (p *plan) bind(oc *graphql.OperationContext) ([]askArgs, error) {
	args := make([]askArgs, len(p.slots))
	for i, s := range p.slots {
		a := &args[i]
		switch s.kind {
		case slotOne:
			a.limit = 1
			continue
		case slotList:
			continue
		}
		m := s.field.ArgumentMap(oc.Variables)
		first, ok := intArg(m, "first", s.defFirst)
		if !ok || first < 1 || first > MaxPage {
			return nil, errNoPlan
		}
		a.first, a.limit = first, first
		if s.lookahead {
			a.limit++
		}
		if v, present := m["after"]; present && v != nil {
			str, ok := v.(string)
			if !ok {
				return nil, errNoPlan
			}
			t, err := decodeCursor(str)
			if err != nil {
				return nil, errNoPlan
			}
			a.before = &t
		}
		filter, _ := m["filter"].(map[string]any)
		if filter == nil {
			continue
		}
		var err error
		var status, slug, phase, state *string
		if s.group.ent == CustomerEntity {
			if status, err = enumArg(filter, "status"); err != nil {
				return nil, err
			}
			if slug, err = stringArg(filter, "slug"); err != nil {
				return nil, err
			}
		} else {
			if v, present := filter["customerId"]; present && v != nil {
				return nil, errNoPlan // a customer that may not exist: the executor reports it
			}
			if phase, err = enumArg(filter, "phase"); err != nil {
				return nil, err
			}
			if state, err = enumArg(filter, "state"); err != nil {
				return nil, err
			}
		}
		if status != nil {
			a.filters |= db.FilterStatus
			a.status = *status
		}
		if slug != nil {
			a.filters |= db.FilterSlug
			a.slug = *slug
		}
		if phase != nil {
			a.filters |= db.FilterPhase
			a.phase = *phase
		}
		if state != nil && *state == "waiting" {
			a.filters |= db.FilterWaiting
		} else if state != nil {
			a.filters |= db.FilterState
			a.state = *state
		}
	}
	return args, nil
}

// dataBuffers keep the buffers of responses already sent (ReleaseData), so a
// read writes its 100 KB into one of them rather than into new memory that
// must be zeroed and collected.
var dataBuffers sync.Pool

// maxPooledData bounds the buffers kept: a rare huge response is left to the
// collector.
const maxPooledData = 4 << 20

// dataBuffer returns an empty buffer with room for about hint bytes.
func dataBuffer(hint int) []byte {
	want := hint + hint/8 + 64
	if p, ok := dataBuffers.Get().(*[]byte); ok {
		if cap(*p) >= want {
			return (*p)[:0]
		}
	}
	return make([]byte, 0, want)
}

// ReleaseData gives back the data of a ReadPlan once it is written: neither
// it nor any slice of it may be used after.
func ReleaseData(data []byte) {
	if cap(data) == 0 || cap(data) > maxPooledData {
		return
	}
	data = data[:0]
	dataBuffers.Put(&data)
}

// execute reads every group's rows, a level at a time.
func (p *plan) execute(ctx context.Context, q *db.DB, workspaceID string, args []askArgs) (*run, error) {
	r := &run{p: p, args: args, rows: make([]*db.Rows, len(p.groups)), order: make([][]int32, len(p.groups)),
		askFrom: make([][]int32, len(p.groups)), askTo: make([][]int32, len(p.groups)), askCount: make([]int, len(p.groups)),
		askOf: make([][]int32, len(p.slots))}
	for _, g := range p.groups {
		// Room for one ask per parent row and slot (at most), so the map is
		// not grown and rehashed a row at a time.
		hint := len(g.slots)
		if g.parent != nil {
			hint *= r.rows[g.parent.id].Len()
		}
		// Asks asked twice (the same parent, or aliases with the same
		// arguments) are read once. With one slot every ask of the group has
		// the same arguments, and the parent's key alone tells them apart.
		var byKey map[string]int32
		var index map[askKey]int32
		if len(g.slots) == 1 {
			byKey = make(map[string]int32, min(hint, 4096))
		} else {
			index = make(map[askKey]int32, min(hint, 4096))
		}
		n := 0
		byShape := map[db.Filter][]db.Ask{}
		var shapes []db.Filter
		var askIDs = map[db.Filter][]int32{}
		add := func(key string, a *askArgs) int32 {
			if g.rel == db.RelCustomer && g.ent == OnboardingEntity {
				// Pages of many parents: one statement whatever each
				// filters (db.FilterEither).
				b := *a
				if b.filters&db.FilterWaiting != 0 {
					b.state = "waiting"
				}
				b.filters = db.FilterEither
				a = &b
			}
			id := int32(n)
			if byKey != nil {
				if seen, ok := byKey[key]; ok {
					return seen
				}
				byKey[key] = id
			} else {
				k := askKey{key: key, limit: a.limit, filters: a.filters, status: a.status, slug: a.slug, phase: a.phase, state: a.state}
				if a.before != nil {
					k.before, k.hasBefore = *a.before, true
				}
				if seen, ok := index[k]; ok {
					return seen
				}
				index[k] = id
			}
			n++
			if _, seen := byShape[a.filters]; !seen {
				shapes = append(shapes, a.filters)
				byShape[a.filters] = make([]db.Ask, 0, min(hint, 4096))
				askIDs[a.filters] = make([]int32, 0, min(hint, 4096))
			}
			byShape[a.filters] = append(byShape[a.filters], db.Ask{Key: key, Limit: a.limit, Before: a.before,
				Status: a.status, Slug: a.slug, Phase: a.phase, State: a.state})
			askIDs[a.filters] = append(askIDs[a.filters], id)
			return id
		}
		for _, s := range g.slots {
			a := &r.args[s.id]
			if s.parent == nil {
				r.askOf[s.id] = []int32{add("", a)}
				continue
			}
			parent := g.parent
			prows := r.rows[parent.id]
			of := make([]int32, prows.Len())
			for i := range of {
				of[i] = -1
			}
			r.eachRow(s.parent, func(row int) {
				if of[row] >= 0 {
					return
				}
				key, ok := prows.Value(row, g.keyIndex)
				if ok {
					of[row] = add(string(key), a)
				}
			})
			r.askOf[s.id] = of
		}
		rows := db.GetRows()
		r.rows[g.id] = rows
		r.askCount[g.id] = n
		if n > 0 {
			for _, shape := range shapes {
				ids := askIDs[shape]
				if err := queryShape(ctx, q, workspaceID, g.level(shape), byShape[shape], ids, rows); err != nil {
					return nil, err
				}
			}
		}
		r.bucket(g.id, n)
	}
	return r, nil
}

// queryShape runs one statement for asks (whose ids in the group are ids).
func queryShape(ctx context.Context, q *db.DB, ws string, level *db.Level, asks []db.Ask, ids []int32, into *db.Rows) error {
	contiguous := true
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[0]+int32(i) {
			contiguous = false
		}
	}
	if contiguous {
		return level.Query(ctx, q, ws, asks, int(ids[0]), into)
	}
	// Several filter shapes interleaved in one group: one statement per ask
	// id run (rare: the same relation filtered differently by aliases).
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[j-1]+1 {
			j++
		}
		if err := level.Query(ctx, q, ws, asks[i:j], int(ids[i]), into); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// bucket orders group g's rows by ask, keeping each ask's rows in order.
func (r *run) bucket(g, asks int) {
	rows := r.rows[g]
	from, to := make([]int32, asks+1), make([]int32, asks)
	for i := 0; i < rows.Len(); i++ {
		from[rows.Ask(i)+1]++
	}
	for a := 0; a < asks; a++ {
		from[a+1] += from[a]
	}
	copy(to, from[:asks])
	order := make([]int32, rows.Len())
	for i := 0; i < rows.Len(); i++ {
		a := rows.Ask(i)
		order[to[a]] = int32(i)
		to[a]++
	}
	r.order[g], r.askFrom[g], r.askTo[g] = order, from[:asks], to
}

// page returns the rows of ask a of group g, and whether more follow the page.
func (r *run) page(s *slot, a int32) (rows []int32, more bool) {
	if a < 0 {
		return nil, false
	}
	g := s.group.id
	rows = r.order[g][r.askFrom[g][a]:r.askTo[g][a]]
	if s.kind == slotConn && len(rows) > r.args[s.id].first {
		return rows[:r.args[s.id].first], true
	}
	return rows, false
}

// eachRow calls fn with every row slot s shows (pages without lookahead).
func (r *run) eachRow(s *slot, fn func(row int)) {
	for _, a := range r.askOf[s.id] {
		rows, _ := r.page(s, a)
		for _, row := range rows {
			fn(int(row))
		}
	}
}

// ---------------------------------------------------------------- writing

func (r *run) write() ([]byte, error) {
	b := dataBuffer(int(r.p.outHint.Load()))
	b = append(b, '{')
	var err error
	for i, k := range r.p.roots {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, k.key...)
		if k.slot == nil {
			b = append(b, k.text...)
			continue
		}
		if b, err = r.writeSlot(b, k.slot, r.askOf[k.slot.id][0]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func (r *run) writeSlot(b []byte, s *slot, a int32) ([]byte, error) {
	rows, more := r.page(s, a)
	var err error
	switch s.kind {
	case slotOne:
		if len(rows) == 0 {
			return append(b, "null"...), nil
		}
		return r.writeObject(b, s.obj, int(rows[0]))
	case slotList:
		return r.writeObjects(b, s.obj, rows)
	}
	b = append(b, '{')
	for i, k := range s.conn {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, k.key...)
		switch k.kind {
		case keyConst:
			b = append(b, k.text...)
		case keyNodes:
			if b, err = r.writeObjects(b, k.obj, rows); err != nil {
				return nil, err
			}
		case keyEdges:
			b = append(b, '[')
			for j, row := range rows {
				if j > 0 {
					b = append(b, ',')
				}
				if b, err = r.writeEdge(b, s, k.sub, int(row)); err != nil {
					return nil, err
				}
			}
			b = append(b, ']')
		case keyPageInfo:
			b = r.writePageInfo(b, s, k.sub, rows, more)
		}
	}
	return append(b, '}'), nil
}

// writeEdge appends the edge of row: the fields of edges { … } (sub).
func (r *run) writeEdge(b []byte, s *slot, sub []connKey, row int) ([]byte, error) {
	b = append(b, '{')
	var err error
	for n, e := range sub {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, e.key...)
		switch e.kind {
		case keyConst:
			b = append(b, e.text...)
		case keyCursor:
			b = r.appendCursor(b, s.group, row)
		case keyNode:
			if b, err = r.writeObject(b, e.obj, row); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}

// writePageInfo appends the pageInfo { … } (sub) of a page of rows; more:
// rows follow the page.
func (r *run) writePageInfo(b []byte, s *slot, sub []connKey, rows []int32, more bool) []byte {
	b = append(b, '{')
	for n, e := range sub {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, e.key...)
		switch e.kind {
		case keyConst:
			b = append(b, e.text...)
		case keyHasNext:
			b = strconv.AppendBool(b, more)
		case keyHasPrev:
			b = append(b, "false"...)
		case keyStartCursor, keyEndCursor:
			if len(rows) == 0 {
				b = append(b, "null"...)
			} else if e.kind == keyStartCursor {
				b = r.appendCursor(b, s.group, int(rows[0]))
			} else {
				b = r.appendCursor(b, s.group, int(rows[len(rows)-1]))
			}
		}
	}
	return append(b, '}')
}

// appendCursor appends the quoted cursor of row (encodeCursor of its creation).
func (r *run) appendCursor(b []byte, g *group, row int) []byte {
	at, _ := r.rows[g.id].Value(row, g.colIndex["created_at"])
	var raw [64]byte
	src := append(append(raw[:0], cursorPrefix...), at...)
	b = append(b, '"')
	b = base64.RawURLEncoding.AppendEncode(b, src)
	return append(b, '"')
}

// writeObjects writes a JSON array of o, one element per row.
func (r *run) writeObjects(b []byte, o *object, rows []int32) ([]byte, error) {
	b = append(b, '[')
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = r.writeObject(b, o, int(row)); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func (r *run) writeObject(b []byte, o *object, row int) ([]byte, error) {
	rows := r.rows[o.group.id]
	b = append(b, '{')
	var err error
	for i := range o.keys {
		k := &o.keys[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, k.key...)
		switch k.kind {
		case keyConst:
			b = append(b, k.text...)
		case keyColumn:
			v, ok := rows.Value(row, k.col)
			if b, err = AppendGraphQL(b, k.enc, v, ok); err != nil {
				return nil, err
			}
		case keySlot:
			if b, err = r.writeSlot(b, k.slot, r.askOf[k.slot.id][row]); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}

// ---------------------------------------------------------------- entry

// ReadPlan answers the operation of ctx from a read plan: its data object,
// ok=true. ok=false: the operation is the executor's, and nothing was read.
// An error means the plan ran and failed (a timeout, the database away): the
// caller answers with it and does not run the operation again.
func (r *Resolver) ReadPlan(ctx context.Context) (data []byte, ok bool, err error) {
	if !graphql.HasOperationContext(ctx) {
		return nil, false, nil
	}
	oc := graphql.GetOperationContext(ctx)
	who := auth.FromContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query || who == nil {
		return nil, false, nil
	}
	p, err := r.plans.get(oc)
	if err != nil {
		return nil, false, nil
	}
	args, err := p.bind(oc)
	if err != nil {
		return nil, false, nil
	}
	run, err := p.execute(ctx, r.DB, who.WorkspaceID, args)
	if err != nil {
		if k := db.KindOf(err); k == db.Canceled || k == db.Unavailable || ctx.Err() != nil {
			// Out of time or without a database: the executor would meet the
			// same, after running the whole operation again.
			return nil, false, err
		}
		// A failure of the plan itself, before anything was answered: worth
		// an operator's look; the executor answers instead.
		r.Log.WarnContext(ctx, "read plan failed; using the executor", "err", err.Error())
		return nil, false, nil
	}
	out, err := run.write()
	for _, rows := range run.rows {
		if rows != nil {
			rows.Release() // out holds what the response needs of them
		}
	}
	if err != nil {
		return nil, false, err
	}
	p.outHint.Store(int64(len(out)))
	return out, true, nil
}
