package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"pivotal/apperr"
	"pivotal/jsonw"
	"pivotal/resolvers"
	"pivotal/rest"
)

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/), as
// graphql-http's server audit checks it (TestGraphQLOverHTTPAudit). gqlgen's
// own GET and POST transports answer request errors (parse, validation,
// variable coercion) with 422 and "data": null whatever the client accepts,
// refuse a mutation over GET with a 406 without extensions.code, and answer
// anything they do not support as text/plain; these transports replace them.
//
//   - The response media type follows Accept: application/graphql-response+json
//     when the client lists it first (or only it), else application/json.
//   - A request error is 200 under application/json (the client reads the
//     errors from the body) and 400 under application/graphql-response+json,
//     where the body then has no data entry. Our own refusals before execution
//     (cost, depth, rate limit) keep their statuses.
//   - A body or query string that is not a GraphQL request is 400; a POST that
//     is not application/json is 415.
//   - A mutation over GET is 405 with Allow: POST; any method but GET, POST and
//     OPTIONS is 405 with Allow: GET, POST, OPTIONS; a WebSocket upgrade is
//     400 — all in GraphQL's shape, as application/json.

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// graphQLMethods are the methods /graphql answers.
var graphQLMethods = []string{http.MethodGet, http.MethodPost, http.MethodOptions}

// overHTTP is the GET and POST transport.
type overHTTP struct{}

var _ graphql.Transport = overHTTP{}

func (overHTTP) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

func (overHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	media := responseMediaType(r.Header.Get("Accept"))
	params := &graphql.RawParams{Headers: r.Header}
	var bad *apperr.Error
	if r.Method == http.MethodGet {
		bad = paramsFromQuery(r, params)
	} else {
		bad = paramsFromBody(r, params)
	}
	if bad == nil && params.Query == "" && params.Extensions["persistedQuery"] == nil {
		bad = apperr.InvalidJSON("The request has no query.")
	}
	if bad != nil {
		writeGraphQLError(w, bad)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := context.WithValue(r.Context(), httpMethodKey{}, r.Method)
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		status := requestErrorStatus(errs, media)
		for _, e := range errs {
			if ae := apperr.From(e); ae != nil {
				rest.SetErrorHeaders(w.Header(), ae) // Allow on a 405, Retry-After
			}
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		writeGraphQLResponse(w, media, status, resp, media == mediaGraphQLResponse, false)
		return
	}
	var planned []byte
	ctx = context.WithValue(ctx, finalDataKey{}, &planned)
	responses, ctx := exec.DispatchOperation(ctx, oc)
	resp := responses(ctx)
	// A read plan's data, untouched on its way, is in its final bytes, and
	// ours again once written.
	final := len(planned) > 0 && len(resp.Data) == len(planned) && &resp.Data[0] == &planned[0]
	writeGraphQLResponse(w, media, http.StatusOK, resp, false, final)
	if final {
		resolvers.ReleaseData(planned)
	}
}

// responseMediaType picks the response's media type from Accept: the first
// of the two GraphQL media types the client lists; application/json for */*,
// application/*, no Accept, or nothing we know (the spec lets a server
// disregard Accept rather than answer 406).
func responseMediaType(accept string) string {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON, "*/*", "application/*":
			return mediaJSON
		}
	}
	return mediaJSON
}

// paramsFromQuery reads a GET request's query, operationName, variables and
// extensions.
func paramsFromQuery(r *http.Request, p *graphql.RawParams) *apperr.Error {
	q := r.URL.Query()
	p.Query, p.OperationName = q.Get("query"), q.Get("operationName")
	if v := q.Get("variables"); v != "" {
		if err := decodeOneJSON([]byte(v), &p.Variables); err != nil {
			return apperr.InvalidJSON("variables must be a JSON object.")
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeOneJSON([]byte(v), &p.Extensions); err != nil {
			return apperr.InvalidJSON("extensions must be a JSON object.")
		}
	}
	return nil
}

// paramsFromBody reads a POST request's JSON body.
func paramsFromBody(r *http.Request, p *graphql.RawParams) *apperr.Error {
	mt, ps, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != mediaJSON || (ps["charset"] != "" && !strings.EqualFold(ps["charset"], "utf-8")) {
		return &apperr.Error{Kind: apperr.UnsupportedMedia, Code: "unsupported_media_type",
			Message: "Send GraphQL requests with Content-Type: application/json (UTF-8)."}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return apperr.InvalidJSON("The request body could not be read.")
	}
	if err := decodeOneJSON(body, p); err != nil {
		return apperr.InvalidJSON("The body must be a JSON object with a string query, and optionally operationName, variables and extensions.")
	}
	return nil
}

// decodeOneJSON decodes exactly one JSON value (numbers kept exact) into v.
func decodeOneJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// requestErrorStatus is the status of an operation refused before it ran.
func requestErrorStatus(errs gqlerror.List, media string) int {
	for _, e := range errs {
		if ae := apperr.From(e); ae != nil && ae.Kind == apperr.MethodNotAllowed {
			return http.StatusMethodNotAllowed
		}
	}
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if media == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	for _, e := range errs {
		code, _ := e.Extensions["code"].(string)
		if code != errcode.ParseFailed && code != errcode.ValidationFailed {
			return http.StatusUnprocessableEntity // our own refusals: cost, depth
		}
	}
	return http.StatusOK // a GraphQL request error: the body says what is wrong
}

// writeGraphQLResponse writes resp as media with status. Without data (a
// request error under application/graphql-response+json) the data entry is
// left out, as the spec says for a request that never executed. final: the
// data is already in the bytes the response carries (a read plan's).
func writeGraphQLResponse(w http.ResponseWriter, media string, status int, resp *graphql.Response, withoutData, final bool) {
	if !withoutData && onlyData(resp) && resp.Data != nil && (final || jsonw.IsCompactHTML(resp.Data)) {
		// Data in its final bytes, or that encoding/json would print as it
		// is: written without a copy.
		w.Header().Set("Content-Type", media)
		w.WriteHeader(status)
		w.Write([]byte(`{"data":`))
		w.Write(resp.Data)
		w.Write([]byte(`}`))
		return
	}
	var out []byte
	if !withoutData && onlyData(resp) {
		// The common answer, {"data":…} alone: written in one pass over the
		// data, in the bytes encoding/json prints, instead of through its
		// scanner.
		out = make([]byte, 0, len(resp.Data)+len(`{"data":}`))
		out = append(out, `{"data":`...)
		if resp.Data == nil {
			out = append(out, "null"...)
		} else {
			out = jsonw.CompactHTML(out, resp.Data)
		}
		out = append(out, '}')
	} else {
		out = encodeGraphQLResponse(resp, withoutData)
	}
	w.Header().Set("Content-Type", media)
	w.WriteHeader(status)
	w.Write(out)
}

// encodeGraphQLResponse is resp as encoding/json prints it, without the
// trailing newline.
func encodeGraphQLResponse(resp *graphql.Response, withoutData bool) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	var err error
	if withoutData {
		err = enc.Encode(struct {
			Errors     gqlerror.List  `json:"errors,omitempty"`
			Extensions map[string]any `json:"extensions,omitempty"`
		}{resp.Errors, resp.Extensions})
	} else {
		err = enc.Encode(resp)
	}
	if err != nil {
		panic(err) // gqlgen's transports do the same: the executor made data that is not JSON
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// onlyData reports whether encoding/json would print resp as {"data":…}
// alone: no errors, label, path, hasNext or extensions, and data either nil
// (null) or not empty (an empty json.RawMessage is not JSON).
func onlyData(resp *graphql.Response) bool {
	return len(resp.Errors) == 0 && resp.Label == "" && len(resp.Path) == 0 && resp.HasNext == nil &&
		len(resp.Extensions) == 0 && (resp.Data == nil || len(resp.Data) > 0)
}

// refuseOther answers what overHTTP does not take (it goes last, so a
// WebSocket transport added before it would win): OPTIONS with the methods,
// a WebSocket upgrade with 400, any other method with 405.
type refuseOther struct{}

var _ graphql.Transport = refuseOther{}

func (refuseOther) Supports(*http.Request) bool { return true }

func (refuseOther) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	switch {
	case r.Method == http.MethodOptions:
		w.Header().Set("Allow", strings.Join(graphQLMethods, ", "))
		w.WriteHeader(http.StatusNoContent)
	case r.Header.Get("Upgrade") != "":
		writeGraphQLError(w, &apperr.Error{Kind: apperr.Invalid, Code: "upgrade_not_supported",
			Message: "Only graphql-transport-ws upgrades (the graphql-ws protocol) are served, for subscriptions: send other operations with POST, or queries with GET."})
	case r.Method != http.MethodGet && r.Method != http.MethodPost:
		writeGraphQLError(w, apperr.MethodNotAllowedError(r.Method, graphQLMethods...))
	default:
		writeGraphQLError(w, apperr.InvalidJSON("Not a GraphQL request."))
	}
}

type httpMethodKey struct{}

// queriesOnlyOverGET refuses a mutation sent with GET (a GET must be safe),
// before any limit or charge: 405, Allow: POST (the spec's answer).
type queriesOnlyOverGET struct{}

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = queriesOnlyOverGET{}

func (queriesOnlyOverGET) ExtensionName() string                   { return "QueriesOnlyOverGET" }
func (queriesOnlyOverGET) Validate(graphql.ExecutableSchema) error { return nil }

func (queriesOnlyOverGET) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if m, _ := ctx.Value(httpMethodKey{}).(string); m != http.MethodGet || oc.Operation == nil || oc.Operation.Operation == ast.Query {
		return nil
	}
	e := apperr.MethodNotAllowedError(http.MethodGet, http.MethodPost)
	e.Message = "A " + string(oc.Operation.Operation) + " cannot be sent with GET: send it with POST."
	return &gqlerror.Error{Err: e, Message: e.Message}
}
