package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	oaerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"pivotal/auth/leaktest"
	"pivotal/rest"
)

// The OpenAPI hook: every REST call the end-to-end tests make goes through
// checkOpenAPI (from (*env).do), which validates the request and the response
// against the document the server itself serves (rest/openapi.json), with
// pb33f/libopenapi-validator. So the document cannot drift from the server:
// a field, status, header or bound that one has and the other lacks fails the
// test that exercised it.
//
// How a call is judged:
//   - Paths outside /api/ (/graphql, /graphiql, /nope) are not REST: skipped.
//   - The path or the method is not in the document (GET /api/v1/nope, PUT on a
//     documented path): the server must answer the documented envelope for an
//     unknown route, 404 route_not_found or 405 method_not_allowed, and the
//     body must validate against the document's Error schema.
//   - The request violates the document (no key, malformed JSON, wrong content
//     type, a body or query outside its bounds): the tests send these on
//     purpose, so the request errors are not failures in themselves; the
//     response must then be a 4xx that the document lists for that operation,
//     with a body and headers valid for that status.
//   - Otherwise the request is valid and the response must validate against
//     the operation's response for its status (undocumented status = failure).

type openAPIChecker struct {
	v           validator.Validator
	errorSchema *base.Schema
	schemas     schema_validation.SchemaValidator
}

var (
	openAPIOnce sync.Once
	openAPI     *openAPIChecker
	openAPIErr  error
)

// loadOpenAPI builds the validator once per test binary; it is safe for
// concurrent use (the concurrency tests call do from many goroutines).
func loadOpenAPI() (*openAPIChecker, error) {
	openAPIOnce.Do(func() {
		doc, err := libopenapi.NewDocument(rest.OpenAPIDocument())
		if err != nil {
			openAPIErr = fmt.Errorf("parse rest/openapi.json: %w", err)
			return
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			openAPIErr = fmt.Errorf("build rest/openapi.json: %w", err)
			return
		}
		es := model.Model.Components.Schemas.GetOrZero("Error")
		if es == nil {
			openAPIErr = fmt.Errorf("rest/openapi.json has no Error schema")
			return
		}
		openAPI = &openAPIChecker{
			v:           validator.NewValidatorFromV3Model(&model.Model),
			errorSchema: es.Schema(),
			schemas:     schema_validation.NewSchemaValidator(),
		}
	})
	return openAPI, openAPIErr
}

// checkOpenAPI validates one REST call (see the comment above). body is the
// request body that was sent; req may already have been consumed.
func checkOpenAPI(t testing.TB, req *http.Request, body []byte, resp response) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return
	}
	c, err := loadOpenAPI()
	if err != nil {
		t.Errorf("OpenAPI check: %v", err)
		return
	}
	call := fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), resp.Status)
	fail := func(what string, errs []*oaerrors.ValidationError) {
		t.Helper()
		t.Errorf("OpenAPI: %s: %s:\n%s\nrequest body: %s\nresponse body: %s",
			call, what, describe(errs), clip(body), clip(resp.Body))
	}

	// The validator decodes JSON numbers into float64, so a body holding a
	// number beyond float64 (1e400 in metadata, which the API stores and
	// returns intact) cannot be checked by it at all: such calls are skipped.
	if beyondFloat64(body) || beyondFloat64(resp.Body) {
		return
	}
	reqOK, reqErrs := c.v.ValidateHttpRequestSync(replayRequest(req, body))
	if undocumentedRoute(reqErrs) {
		c.checkUnknownRoute(t, call, resp)
		return
	}
	if !reqOK && (resp.Status < 400 || resp.Status > 499) {
		fail(fmt.Sprintf("the request violates the document, yet the server answered %d (want a documented 4xx)", resp.Status), reqErrs)
		return
	}
	if ok, errs := c.v.ValidateHttpResponse(replayRequest(req, body), httpResponse(resp)); !ok {
		what := "the response does not match the document"
		if !reqOK {
			what = "the request was refused as it should (it violates the document: " + oneLine(reqErrs) + ") but the refusal does not match the document"
		}
		fail(what, errs)
	}
}

// undocumentedRoute reports whether the request's path or method is absent
// from the document (as opposed to a documented operation called badly).
func undocumentedRoute(errs []*oaerrors.ValidationError) bool {
	for _, e := range errs {
		if (e.ValidationType == helpers.PathValidation && e.ValidationSubType == helpers.ValidationMissing) ||
			e.ValidationSubType == helpers.ValidationMissingOperation {
			return true
		}
	}
	return false
}

// checkUnknownRoute: a route the document does not list must be answered with
// the unknown-route envelope, which is the document's Error schema.
func (c *openAPIChecker) checkUnknownRoute(t testing.TB, call string, resp response) {
	t.Helper()
	var env struct {
		Error struct{ Type, Code string } `json:"error"`
	}
	json.Unmarshal(resp.Body, &env)
	switch {
	case resp.Status == http.StatusNotFound && env.Error.Code == "route_not_found":
	case resp.Status == http.StatusMethodNotAllowed && env.Error.Code == "method_not_allowed":
	default:
		t.Errorf("OpenAPI: %s: the route is not in the document, so the answer must be 404 route_not_found or 405 method_not_allowed; got %s",
			call, clip(resp.Body))
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("OpenAPI: %s: Content-Type %q, want application/json", call, ct)
	}
	if ok, errs := c.schemas.ValidateSchemaBytes(c.errorSchema, resp.Body); !ok {
		t.Errorf("OpenAPI: %s: body does not match the Error schema:\n%s\nresponse body: %s", call, describe(errs), clip(resp.Body))
	}
}

// replayRequest is req with a fresh copy of the body that was sent.
func replayRequest(req *http.Request, body []byte) *http.Request {
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}

func httpResponse(resp response) *http.Response {
	return &http.Response{
		StatusCode: resp.Status, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)),
	}
}

// describe renders validation errors one per line, with their schema details.
func describe(errs []*oaerrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - [%s/%s] %s: %s", e.ValidationType, e.ValidationSubType, e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s (at %s, schema %s)", s.Reason, s.FieldPath, s.KeywordLocation)
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

func oneLine(errs []*oaerrors.ValidationError) string {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	return strings.Join(msgs, "; ")
}

// clip keeps failure messages readable when a test sends a 1 MiB body.
func clip(b []byte) string {
	const max = 600
	if len(b) > max {
		return fmt.Sprintf("%s… (%d bytes)", b[:max], len(b))
	}
	return string(b)
}

// errorRecorder stands in for a test to see what checkOpenAPI reports.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Helper() {}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The hook itself must catch drift, or every test through it proves nothing.
func TestOpenAPIHookCatchesDrift(t *testing.T) {
	const ts = `"2026-05-26T17:21:09.412000Z"`
	customer := `{"object":"customer","id":"cabcdefghijklmnopqrstuvwx","display_id":1,"name":"A","slug":"a","domain":null,
		"status":"active","plan":null,"mrr":null,"monthly_orders":null,"hubspot_company_id":null,"hubspot_deal_id":null,
		"stripe_customer_id":null,"intercom_company_id":null,"slack_channel_id":null,"metadata":{},"created_at":` + ts + `,"updated_at":` + ts + `}`
	errBody := func(typ, code string) string {
		return `{"error":{"type":"` + typ + `","code":"` + code + `","message":"Something."}}`
	}
	const key = "Bearer pivotal_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	cases := []struct {
		name, method, path, auth, body string
		status                         int
		respBody                       string
		headers                        []string
		wantErr                        string // "" = must pass
	}{
		{"health ok", "GET", "/api/v1/health", "", "", 200, `{"status":"ok","timestamp":` + ts + `}`, nil, ""},
		{"health missing field", "GET", "/api/v1/health", "", "", 200, `{"status":"ok"}`, nil, "timestamp"},
		{"timestamp format", "GET", "/api/v1/health", "", "", 200, `{"status":"ok","timestamp":"2026-05-26T17:21:09Z"}`, nil, "does not match"},
		{"extra field", "GET", "/api/v1/health", "", "", 200, `{"status":"ok","timestamp":` + ts + `,"x":1}`, nil, "additional properties"},
		{"create ok", "POST", "/api/v1/customers", key, `{"name":"A","unknown":1}`, 201, customer, nil, ""},
		{"bad body accepted", "POST", "/api/v1/customers", key, `{"name":""}`, 201, customer, nil, "yet the server answered 201"},
		{"bad body refused", "POST", "/api/v1/customers", key, `{"name":""}`, 400, errBody("invalid_request_error", "too_small"), nil, ""},
		{"refusal with unknown code", "POST", "/api/v1/customers", key, `{"name":""}`, 400, errBody("invalid_request_error", "nope"), nil, "refusal does not match"},
		{"wrong type for status", "POST", "/api/v1/customers", key, `{"name":"a"}`, 409, errBody("not_found", "slug_taken"), nil, "value must be"},
		{"undocumented status", "GET", "/api/v1/customers/1", key, "", 418, errBody("invalid_request_error", "x"), nil, "418"},
		{"no key refused", "GET", "/api/v1/customers", "", "", 401, errBody("authentication_error", "missing_api_key"), nil, ""},
		{"no key accepted", "GET", "/api/v1/customers", "", "", 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`, nil, "yet the server answered 200"},
		{"limit out of range", "GET", "/api/v1/customers?limit=0", key, "", 400, errBody("invalid_request_error", "too_small"), nil, ""},
		{"429 without Retry-After", "GET", "/api/v1/me", key, "", 429, errBody("rate_limit_error", "rate_limited"), nil, "Retry-After"},
		{"429 with Retry-After", "GET", "/api/v1/me", key, "", 429, errBody("rate_limit_error", "rate_limited"), []string{"Retry-After", "12"}, ""},
		{"bad rate-limit header", "GET", "/api/v1/customers", key, "", 200, `{"object":"list","data":[],"has_more":false,"next_cursor":null}`, []string{"X-RateLimit-Remaining", "many"}, "x-ratelimit-remaining"},
		{"unknown route", "GET", "/api/v1/nope", key, "", 404, errBody("not_found", "route_not_found"), nil, ""},
		{"unknown route answered", "GET", "/api/v1/nope", key, "", 200, `{}`, nil, "route is not in the document"},
		{"unknown method", "PUT", "/api/v1/customers/1", key, `{}`, 405, errBody("invalid_request_error", "method_not_allowed"), nil, ""},
		{"unknown route bad envelope", "GET", "/api/v1/nope", key, "", 404, `{"error":{"type":"not_found","code":"route_not_found"}}`, nil, "Error schema"},
		{"not REST", "POST", "/graphql", key, `{}`, 200, `not even JSON`, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, "http://pivotal.test"+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
				leaktest.BearerKey(c.auth)
			}
			h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req_1"}}
			for i := 0; i < len(c.headers); i += 2 {
				h.Set(c.headers[i], c.headers[i+1])
			}
			rec := &errorRecorder{TB: t}
			checkOpenAPI(rec, req, []byte(c.body), response{Status: c.status, Header: h, Body: []byte(c.respBody)})
			got := strings.Join(rec.errs, "\n")
			switch {
			case c.wantErr == "" && got != "":
				t.Errorf("want no report, got:\n%s", got)
			case c.wantErr != "" && !strings.Contains(got, c.wantErr):
				t.Errorf("want a report mentioning %q, got:\n%s", c.wantErr, got)
			}
		})
	}
}

// The served document is the committed file, byte for byte, without a key;
// the call itself goes through the hook like every other.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/openapi.json", "", "")
	r.expect(t, 200, "")
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Equal(r.Body, rest.OpenAPIDocument()) {
		t.Errorf("served document differs from rest/openapi.json")
	}
	if v := r.json(t)["openapi"]; v != "3.1.0" {
		t.Errorf("openapi %v", v)
	}
}

// beyondFloat64 reports whether b is valid JSON that encoding/json cannot
// decode into float64s (a number out of float64's range).
func beyondFloat64(b []byte) bool {
	if !json.Valid(b) {
		return false
	}
	var v any
	var ute *json.UnmarshalTypeError
	return errors.As(json.Unmarshal(b, &v), &ute)
}
