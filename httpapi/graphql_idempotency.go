package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"pivotal/apperr"
	"pivotal/httpmw"
	"pivotal/resolvers"
)

// graphQLIdempotency gives GraphQL POSTs whose operation is a mutation the
// semantics of spec §5, over the whole GraphQL response.
//
// A GraphQL response exists only after every mutation of the operation has run,
// each in its own transaction, so it cannot be written inside one of them.
// Instead each mutation's transaction marks the claim executed (resolvers
// MarkHook), and the response is stored right after execution. A write and
// its mark commit together: after a crash between the two, the key is never
// run again — a retry gets 409 idempotency_key_in_use instead of a second
// write. An operation none of whose mutations committed is not stored.
func graphQLIdempotency(res *resolvers.Resolver, apq graphql.Cache[string], write httpmw.ErrorWriter,
	internal func(context.Context, error) *apperr.Error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			keys, ok := r.Header[http.CanonicalHeaderKey("Idempotency-Key")]
			if r.Method != http.MethodPost || !ok {
				next.ServeHTTP(w, r)
				return
			}
			if err := resolvers.ValidateIdempotencyKey(keys[0]); err != nil {
				write(w, r, apperr.From(err))
				return
			}
			raw, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				write(w, r, apperr.BodyTooLarge())
				return
			}
			if err != nil {
				write(w, r, apperr.InvalidJSON("The request body could not be read."))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			if !isMutation(r.Context(), raw, apq) {
				next.ServeHTTP(w, r)
				return
			}
			claim, replay, err := res.ClaimIdempotencyKey(r.Context(), resolvers.IdempotentRequest{
				Method: r.Method, Path: r.URL.EscapedPath(), Key: keys[0], Body: raw})
			if err != nil {
				write(w, r, internal(r.Context(), err))
				return
			}
			if replay != nil {
				w.Header().Set("Idempotent-Replayed", "true")
				writeRaw(w, replay.Status, replay.Body)
				return
			}
			buf := httpmw.NewBufferedResponse()
			settled := false
			defer func() {
				if !settled { // a panic: settle, then let Recover answer
					claim.Settle(r.Context(), resolvers.StoredResponse{Status: http.StatusInternalServerError})
				}
			}()
			next.ServeHTTP(buf, r.WithContext(resolvers.WithTxHook(r.Context(), claim.MarkHook())))
			out := claim.Settle(r.Context(), resolvers.StoredResponse{Status: buf.Status(), Body: buf.Body()})
			settled = true
			for k, v := range buf.Header() {
				w.Header()[k] = v
			}
			writeRaw(w, out.Status, out.Body)
		})
	}
}

// isMutation reports whether the GraphQL request in body would run a mutation
// that idempotency covers. A request that cannot be read or parsed runs
// nothing, and gqlgen reports it. An operation that creates an API key or a
// webhook signing secret is not covered: its response holds the secret, which
// is shown once and never stored.
func isMutation(ctx context.Context, body []byte, apq graphql.Cache[string]) bool {
	var p struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
		Extensions    struct {
			PersistedQuery struct {
				Hash string `json:"sha256Hash"`
			} `json:"persistedQuery"`
		} `json:"extensions"`
	}
	if json.Unmarshal(body, &p) != nil {
		return false
	}
	if p.Query == "" && p.Extensions.PersistedQuery.Hash != "" {
		p.Query, _ = apq.Get(ctx, p.Extensions.PersistedQuery.Hash)
	}
	// With gqlgen's token limit: a document over it is refused unrun anyway.
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, DefaultMaxTokens)
	if err != nil {
		return false
	}
	var op *ast.OperationDefinition
	if p.OperationName != "" {
		op = doc.Operations.ForName(p.OperationName)
	} else if len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	if op == nil || op.Operation != ast.Mutation {
		return false
	}
	for _, name := range secretBearing {
		if selects(doc, op.SelectionSet, name, map[string]bool{}) {
			return false
		}
	}
	return true
}

// secretBearing are the mutations whose responses hold a secret.
var secretBearing = []string{"createApiKey", "createWebhookEndpoint", "rotateWebhookSecret"}

// selects reports whether set selects the field name at its top level,
// directly or through fragments, however deeply they nest. Each fragment is
// looked into once (seen), so fragment cycles, which validation refuses, end.
func selects(doc *ast.QueryDocument, set ast.SelectionSet, name string, seen map[string]bool) bool {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == name {
				return true
			}
		case *ast.InlineFragment:
			if selects(doc, s.SelectionSet, name, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := doc.Fragments.ForName(s.Name); f != nil && selects(doc, f.SelectionSet, name, seen) {
				return true
			}
		}
	}
	return false
}

// writeRaw writes a stored GraphQL response.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	w.Write(body)
}
