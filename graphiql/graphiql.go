// Package graphiql serves the GraphiQL page: GraphiQL, React, ReactDOM and the
// explorer plugin at pinned npm versions, bundled by scripts/graphiql-assets.sh
// from graphiql/ui and embedded in the binary. The page loads nothing from
// outside the server: its Content-Security-Policy allows scripts, styles and
// connections to its own origin only (fonts and images are data: URLs in the
// style sheet).
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// ContentSecurityPolicy is the page's policy. GraphiQL 4 edits with
// CodeMirror 5, whose styles are set through the DOM (which CSP allows), so
// style-src needs no 'unsafe-inline' (GraphiQL 5's Monaco editor would).
// connect-src 'self' covers the page's own ws:// origin for subscriptions.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// DashboardQuery is the page's first tab: what a dashboard shows, which the
// demo workspace fills.
const DashboardQuery = `# The onboarding dashboard: customers being
# onboarded, their primary contact and where each
# onboarding stands. Run it with the ▶ button or
# Ctrl-Enter. Your key goes in the Headers tab:
#   {"Authorization": "Bearer pivotal_test_..."}
query Dashboard {
  me {
    workspace { slug name }
  }
  customers(first: 5, filter: { status: ONBOARDING }) {
    nodes {
      displayId
      name
      plan
      mrr
      primaryContact { name email }
      onboardings(first: 3) {
        nodes { name phase state targetLaunchDate }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`

// Options say what the page shows.
type Options struct {
	// Endpoint is the GraphQL endpoint, relative to the page ("/graphql").
	// Subscriptions go to the same path over ws:// (graphql-ws).
	Endpoint string
	// Headers prefill the header editor (the demo key). The page is then no
	// longer public: set them only when the server is reachable from this
	// machine alone.
	Headers map[string]string
	// DefaultQuery is the first tab's query; empty: DashboardQuery.
	DefaultQuery string
	// Schema is the server's schema in SDL. With it GraphiQL's docs, explorer
	// and completion work at once, key or no key: introspection over /graphql
	// needs a key, and GraphiQL introspects before its header editor exists.
	Schema string
}

// UI serves the page and its assets.
type UI struct {
	page    []byte
	version map[string]string // asset name → content hash, for cache busting
}

// New builds the page for o.
func New(o Options) *UI {
	if o.Endpoint == "" {
		o.Endpoint = "/graphql"
	}
	if o.DefaultQuery == "" {
		o.DefaultQuery = DashboardQuery
	}
	ui := &UI{version: map[string]string{}}
	entries, err := assets.ReadDir("assets")
	if err != nil {
		panic(fmt.Sprintf("graphiql: embedded assets: %v", err)) // a broken build
	}
	for _, e := range entries {
		b, err := assets.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(fmt.Sprintf("graphiql: embedded asset %s: %v", e.Name(), err))
		}
		sum := sha256.Sum256(b)
		ui.version[e.Name()] = hex.EncodeToString(sum[:8])
	}
	// json.Marshal escapes <, > and &, so nothing in the settings can end
	// the script element they sit in.
	var config []byte
	config, err = json.Marshal(map[string]any{
		"endpoint": o.Endpoint, "headers": o.Headers, "defaultQuery": o.DefaultQuery, "schema": o.Schema,
	})
	if err != nil {
		panic(err) // strings only
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pivotal · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/assets/graphiql.css?v=%s">
<script id="pivotal-graphiql-config" type="application/json">%s</script>
<script src="/graphiql/assets/graphiql.js?v=%s" defer></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
</body>
</html>
`, ui.version["graphiql.css"], config, ui.version["graphiql.js"])
	ui.page = b.Bytes()
	return ui
}

// ServePage answers GET /graphiql.
func (ui *UI) ServePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// The page may hold the demo key: no cache keeps a copy.
	h.Set("Cache-Control", "no-store")
	w.Write(ui.page)
}

// ServeAsset answers GET /graphiql/assets/NAME. Assets asked for with their
// current version are cached for good; the page names a new version when
// they change.
func (ui *UI) ServeAsset(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.URL.Path)
	b, err := assets.ReadFile("assets/" + name)
	if err != nil || strings.HasPrefix(name, ".") {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	switch path.Ext(name) {
	case ".js":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		h.Set("Content-Type", "text/css; charset=utf-8")
	default:
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+ui.version[name]+`"`)
	if v := r.URL.Query().Get("v"); v != "" && v == ui.version[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
