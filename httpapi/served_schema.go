package httpapi

import (
	"regexp"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"pivotal/graph"
)

// goFieldUse matches gqlgen's @goField directive, declared and applied: it
// tells gqlgen's code generator how to build the Go side and means nothing to
// clients, so the schema clients see (introspection, GraphiQL, validation) is
// schema.graphqls without it.
var goFieldUse = regexp.MustCompile(`(?m)^directive @goField\b.*\n|\s*@goField\([^)]*\)`)

// servedSchema is the schema the server serves: gqlgen's, with the code
// generator's directives removed, loaded once.
var servedSchema = sync.OnceValue(func() *ast.Schema {
	return gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphqls", Input: servedSDL(), BuiltIn: false})
})

// servedSDL is gqlgen's schema as SDL without @goField.
func servedSDL() string {
	var b strings.Builder
	formatter.NewFormatter(&b).FormatSchema(graph.NewExecutableSchema(graph.Config{}).Schema())
	return goFieldUse.ReplaceAllString(b.String(), "")
}
