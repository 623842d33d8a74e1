package rest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// documented is every operation of the contract (spec §7: the 18 operations)
// plus the two this server adds to the document: the document itself and the
// deep health check. Public ones need no key.
var documented = []struct {
	method, path string
	success      string
	public       bool
}{
	{"GET", "/api/v1/me", "200", false},
	{"GET", "/api/v1/health", "200", true},
	{"GET", "/api/v1/customers", "200", false},
	{"POST", "/api/v1/customers", "201", false},
	{"GET", "/api/v1/customers/{id}", "200", false},
	{"PATCH", "/api/v1/customers/{id}", "200", false},
	{"DELETE", "/api/v1/customers/{id}", "200", false},
	{"GET", "/api/v1/customers/{customerId}/contacts", "200", false},
	{"POST", "/api/v1/customers/{customerId}/contacts", "201", false},
	{"GET", "/api/v1/contacts/{id}", "200", false},
	{"PATCH", "/api/v1/contacts/{id}", "200", false},
	{"DELETE", "/api/v1/contacts/{id}", "200", false},
	{"GET", "/api/v1/onboardings", "200", false},
	{"POST", "/api/v1/onboardings", "201", false},
	{"GET", "/api/v1/customers/{customerId}/onboardings", "200", false},
	{"GET", "/api/v1/onboardings/{id}", "200", false},
	{"PATCH", "/api/v1/onboardings/{id}", "200", false},
	{"DELETE", "/api/v1/onboardings/{id}", "200", false},
	// Beyond the 18:
	{"GET", "/api/v1/openapi.json", "200", true},
	{"GET", "/api/health/deep", "200", true},
}

func loadModel(t *testing.T) (libopenapi.Document, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(openAPIDocument)
	if err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 model: %v", err)
	}
	return doc, &m.Model
}

func TestOpenAPIDocumentIsValid31(t *testing.T) {
	doc, _ := loadModel(t)
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi version %q, want 3.1.x", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	// Against the OpenAPI 3.1 meta-schema.
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, s := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", s.Reason, s.FieldPath)
			}
		}
	}
}

func TestOpenAPIDocumentOperations(t *testing.T) {
	_, m := loadModel(t)
	if len(documented) != 20 {
		t.Fatalf("the list must hold the 18 operations plus 2, has %d", len(documented))
	}
	want := map[string]bool{}
	for _, d := range documented {
		want[d.method+" "+d.path] = true
	}
	var extra []string
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			if k := strings.ToUpper(method) + " " + path; !want[k] {
				extra = append(extra, k)
			}
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("operations in the document but not in the contract: %v", extra)
	}
	if len(m.Security) != 1 || m.Security[0].Requirements.Len() != 1 || !hasKey(m.Security[0].Requirements.Get("bearerAuth")) {
		t.Errorf("global security must be the bearerAuth scheme")
	}
	if s := m.Components.SecuritySchemes.GetOrZero("bearerAuth"); s == nil || s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearerAuth must be an http bearer scheme: %+v", s)
	}

	for _, d := range documented {
		name := d.method + " " + d.path
		item := m.Paths.PathItems.GetOrZero(d.path)
		if item == nil {
			t.Errorf("%s: path missing", name)
			continue
		}
		op := item.GetOperations().GetOrZero(strings.ToLower(d.method))
		if op == nil {
			t.Errorf("%s: operation missing", name)
			continue
		}
		if op.OperationId == "" {
			t.Errorf("%s: no operationId", name)
		}
		codes := op.Responses.Codes
		if codes.GetOrZero(d.success) == nil {
			t.Errorf("%s: no %s response", name, d.success)
		}
		// An explicit empty security list is what makes an operation public.
		low := op.GoLow()
		explicitlyPublic := low != nil && low.Security.ValueNode != nil && len(op.Security) == 0
		switch {
		case d.public && !explicitlyPublic:
			t.Errorf("%s: must be public (security: [])", name)
		case !d.public && explicitlyPublic:
			t.Errorf("%s: must need a key", name)
		case !d.public:
			for _, c := range []string{"401", "429", "500"} {
				if codes.GetOrZero(c) == nil {
					t.Errorf("%s: no %s response", name, c)
				}
			}
		}
		if d.method == "POST" || d.method == "PATCH" {
			if op.RequestBody == nil || op.RequestBody.Content.GetOrZero("application/json") == nil {
				t.Errorf("%s: no JSON request body", name)
			}
			for _, c := range []string{"400", "413", "415"} {
				if codes.GetOrZero(c) == nil {
					t.Errorf("%s: no %s response", name, c)
				}
			}
		}
		if d.method == "POST" {
			found := false
			for _, p := range op.Parameters {
				found = found || (p.In == "header" && p.Name == "Idempotency-Key")
			}
			if !found {
				t.Errorf("%s: no Idempotency-Key header parameter", name)
			}
			if codes.GetOrZero("201").Headers.GetOrZero("Idempotent-Replayed") == nil {
				t.Errorf("%s: 201 lacks the Idempotent-Replayed header", name)
			}
		}
		if tm := codes.GetOrZero("429"); tm != nil {
			if h := tm.Headers.GetOrZero("Retry-After"); h == nil || !h.Required {
				t.Errorf("%s: 429 must carry a required Retry-After", name)
			}
		}
		if ok := codes.GetOrZero(d.success); ok != nil && !d.public {
			for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
				if ok.Headers.GetOrZero(h) == nil {
					t.Errorf("%s: %s response lacks %s", name, d.success, h)
				}
			}
		}
	}
}

// The route serves the embedded file byte for byte, without a key.
func TestOpenAPIRoute(t *testing.T) {
	deny := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	}
	a := New(nil, nil, deny)
	rec := httptest.NewRecorder()
	a.Routes().ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), openAPIDocument) || !bytes.Equal(OpenAPIDocument(), openAPIDocument) {
		t.Errorf("the served body differs from rest/openapi.json")
	}
}

func hasKey[V any](_ V, present bool) bool { return present }

// The schemas of contacts and onboardings are written from the contract, ahead
// of their handlers: check them on objects shaped as the contract says, and on
// bodies it accepts or refuses.
func TestOpenAPISchemasFitTheContract(t *testing.T) {
	_, m := loadModel(t)
	sv := schema_validation.NewSchemaValidator()
	const ts = `"2026-05-26T17:21:09.412000Z"`
	contact := `{"object":"contact","id":"cabcdefghijklmnopqrstuvwx","display_id":3,"customer_id":"cabcdefghijklmnopqrstuvw0",
		"name":"Ada","email":"ada@example.com","title":null,"is_primary":true,"labels":["billing","vip"],"created_at":` + ts + `,"updated_at":` + ts + `}`
	onboarding := `{"object":"onboarding","id":"cabcdefghijklmnopqrstuvwx","display_id":1,"customer_id":"cabcdefghijklmnopqrstuvw0",
		"name":"Aurora onboarding","template_id":null,"phase":"before_getting_started","state":"waiting","waiting_on_customer":true,
		"started_at":` + ts + `,"completed_at":null,"target_launch_date":"2026-07-15T00:00:00.000000Z","csm_id":"u1","se_id":null,
		"designer_id":null,"product_ops_id":null,"notes":null,"reminders_enabled":true,"reminder_frequency_days":1,
		"created_at":` + ts + `,"updated_at":` + ts + `}`
	cases := []struct {
		schema, json string
		valid        bool
	}{
		{"Contact", contact, true},
		{"Contact", strings.Replace(contact, `"labels":["billing","vip"]`, `"labels":[""]`, 1), false},
		{"ContactList", `{"object":"list","data":[` + contact + `],"has_more":true,"next_cursor":` + ts + `}`, true},
		{"Onboarding", onboarding, true},
		{"Onboarding", strings.Replace(onboarding, `"state":"waiting"`, `"state":"blocked"`, 1), false},
		{"Onboarding", strings.Replace(onboarding, `"reminder_frequency_days":1`, `"reminder_frequency_days":91`, 1), false},
		{"OnboardingList", `{"object":"list","data":[],"has_more":false,"next_cursor":null}`, true},
		{"Deleted", `{"object":"deleted","id":"cabcdefghijklmnopqrstuvwx","display_id":2,"deleted":true}`, true},
		{"ContactCreate", `{"name":"Ada","email":"  Ada@Example.COM ","labels":[],"extra":1}`, true},
		{"ContactCreate", `{"name":"Ada"}`, false},
		{"ContactCreate", `{"name":"Ada","email":"a@b.co","labels":["` + strings.Repeat("x", 65) + `"]}`, false},
		{"ContactUpdate", `{"title":null,"is_primary":false}`, true},
		{"OnboardingCreate", `{"customer_id":"1","target_launch_date":"2026-07-15","phase":"review","notes":null}`, true},
		{"OnboardingCreate", `{"name":"x"}`, false},
		{"OnboardingUpdate", `{"state":"paused","waiting_on_customer":false,"target_launch_date":null,"reminder_frequency_days":90}`, true},
		{"OnboardingUpdate", `{"phase":"done"}`, false},
		{"CustomerCreate", `{"name":"A","slug":"a-b-1","metadata":null}`, true},
		{"CustomerCreate", `{"name":"A","slug":"a-"}`, false},
		{"CustomerUpdate", `{}`, true},
	}
	for _, c := range cases {
		s := m.Components.Schemas.GetOrZero(c.schema)
		if s == nil {
			t.Errorf("no schema %s", c.schema)
			continue
		}
		ok, errs := sv.ValidateSchemaString(s.Schema(), c.json)
		if ok != c.valid {
			var why []string
			for _, e := range errs {
				for _, f := range e.SchemaValidationErrors {
					why = append(why, f.Reason+" at "+f.FieldPath)
				}
			}
			t.Errorf("%s %s: valid=%v, want %v %v", c.schema, c.json, ok, c.valid, why)
		}
	}
}
