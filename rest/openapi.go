package rest

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of this surface (all of
// /api/v1 plus /api/health/deep). It is a committed file, not generated at
// run time, so that clients and the end-to-end tests read the very same bytes;
// the httpapi tests validate every REST call they make against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the embedded document (a copy: callers may not
// change what the server serves).
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }

// openAPI serves the document as is. It is public, like /health.
func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	WriteRaw(w, http.StatusOK, openAPIDocument)
}
