package httpapi

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Limits on the size of a document, checked before gqlgen validates it.
//
// Validation and execution are not linear in the number of selections:
// gqlparser's OverlappingFieldsCanBeMerged compares every pair of selections
// that share a response key (graphql-js does the same), across nested
// selections too, and gqlgen's executor looks each response key up among those
// already collected. 5,000 copies of `me { livemode }` (80 KB) took 6.6 s of
// CPU to validate, and 20,000 distinct aliases 1.4 s to execute. So the shape
// is bounded before either runs, counting a selection set with its fragments
// expanded (a fragment counts as the selections it holds, wherever it is
// spread).
const (
	// DefaultMaxTokens is gqlparser's token limit: the parser stops there.
	// GraphiQL's introspection query is about 300 tokens.
	DefaultMaxTokens = 15_000
	// maxSetSelections bounds the fields (aliases included) one selection set
	// selects, its fragments expanded.
	maxSetSelections = 200
	// maxSelections bounds the fields of the whole operation, every fragment
	// expanded where it is spread.
	maxSelections = 5_000
	// maxRepeats bounds the selections, in the whole operation with its
	// fragments expanded, that repeat a response key already selected in the
	// same selection set (`id` selected by three fragments repeats it twice).
	// Validation compares repeated keys pairwise, level by level.
	maxRepeats = 500
)

// codeSelections is the error code of a document refused for its size.
const codeSelections = "SELECTION_LIMIT_EXCEEDED"

func init() {
	errcode.RegisterErrorType(codeSelections, errcode.KindProtocol)
}

// selectionLimit refuses documents over the limits above before gqlgen parses
// and validates them. Documents in gqlgen's parsed-query cache passed it
// already (gqlgen only caches what it validated, and it only validates what
// passed here), so each document is checked once.
type selectionLimit struct {
	cache  graphql.Cache[*ast.QueryDocument]
	tokens int
}

var _ interface {
	graphql.OperationParameterMutator
	graphql.HandlerExtension
} = selectionLimit{}

func (selectionLimit) ExtensionName() string                   { return "SelectionLimit" }
func (selectionLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l selectionLimit) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	if _, ok := l.cache.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.tokens)
	if err != nil {
		return nil // gqlgen parses it again, with the same limit, and reports the error
	}
	return checkSelections(doc)
}

// checkSelections returns the error for doc, or nil when it is within the limits.
func checkSelections(doc *ast.QueryDocument) *gqlerror.Error {
	c := selectionCounter{doc: doc, fragments: map[string]*fragmentCount{}}
	for _, f := range doc.Fragments {
		c.fragment(f.Name) // an unused fragment is refused by validation, after validating it
	}
	total, repeats := 0, 0
	for _, op := range doc.Operations {
		s := c.set(op.SelectionSet)
		total, repeats = satAdd(total, s.total), satAdd(repeats, s.repeats)
	}
	switch {
	case c.err != nil:
		return c.err
	case total > maxSelections:
		return selectionError("The query selects "+strconv.Itoa(total)+" fields with its fragments expanded; the limit is "+
			strconv.Itoa(maxSelections)+".", "operation", total, maxSelections)
	case repeats > maxRepeats:
		return selectionError("The query selects the same response keys "+strconv.Itoa(repeats)+
			" times over; the limit is "+strconv.Itoa(maxRepeats)+".", "repeats", repeats, maxRepeats)
	}
	return nil
}

func selectionError(msg, scope string, n, limit int) *gqlerror.Error {
	return &gqlerror.Error{Message: msg,
		Extensions: map[string]any{"code": codeSelections, "scope": scope, "selections": n, "limit": limit}}
}

// selectionCounter counts the selections of a document. Each fragment is
// counted once (memoized), so the walk is linear in the document however often
// fragments are spread; fragment cycles count as empty (validation refuses them).
type selectionCounter struct {
	doc       *ast.QueryDocument
	fragments map[string]*fragmentCount
	err       *gqlerror.Error // the first selection set over maxSetSelections
}

// fragmentCount is what a fragment adds where it is spread: the response keys
// of its top level (its own fragments expanded) and the counts of everything
// below.
type fragmentCount struct {
	keys    []string
	total   int // selections, all levels
	repeats int // repeated keys in the sets below its top level
	busy    bool
}

// setCount is a selection set's count: total and repeats include every level.
type setCount struct{ total, repeats int }

// set counts a field's selection set: its top-level keys are its own.
func (c *selectionCounter) set(set ast.SelectionSet) setCount {
	if len(set) == 0 {
		return setCount{}
	}
	var f fragmentCount
	c.level(set, &f)
	seen := make(map[string]struct{}, len(f.keys))
	for _, k := range f.keys {
		seen[k] = struct{}{}
	}
	return setCount{total: f.total, repeats: satAdd(f.repeats, len(f.keys)-len(seen))}
}

// level adds the selections of one level of set (inline fragments and spreads
// expanded into it) to acc. It stops adding keys past maxSetSelections.
func (c *selectionCounter) level(set ast.SelectionSet, acc *fragmentCount) {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			acc.keys = append(acc.keys, responseKey(s))
			sub := c.set(s.SelectionSet)
			acc.total = satAdd(acc.total, satAdd(1, sub.total))
			acc.repeats = satAdd(acc.repeats, sub.repeats)
		case *ast.InlineFragment:
			c.level(s.SelectionSet, acc)
		case *ast.FragmentSpread:
			if f := c.fragment(s.Name); f != nil {
				acc.keys = append(acc.keys, f.keys...)
				acc.total = satAdd(acc.total, f.total)
				acc.repeats = satAdd(acc.repeats, f.repeats)
			}
		}
		if len(acc.keys) > maxSetSelections {
			if c.err == nil {
				c.err = selectionError("A selection set selects more than "+strconv.Itoa(maxSetSelections)+
					" fields (aliases included, fragments expanded); the limit is "+strconv.Itoa(maxSetSelections)+".",
					"selection set", len(acc.keys), maxSetSelections)
			}
			return
		}
	}
}

// fragment returns the memoized count of the fragment named name, or nil if
// the document does not define it or it spreads itself.
func (c *selectionCounter) fragment(name string) *fragmentCount {
	if f, ok := c.fragments[name]; ok {
		if f.busy {
			return nil
		}
		return f
	}
	def := c.doc.Fragments.ForName(name)
	if def == nil {
		return nil
	}
	f := &fragmentCount{busy: true}
	c.fragments[name] = f
	c.level(def.SelectionSet, f)
	f.busy = false
	return f
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// satAdd adds non-negative counts without overflowing.
func satAdd(a, b int) int {
	const maxInt = int(^uint(0) >> 1)
	if a > maxInt-b {
		return maxInt
	}
	return a + b
}
