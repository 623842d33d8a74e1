package rest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	// The generated client imports it; requiring it here keeps it in go.mod,
	// so that the compile below needs no network.
	_ "github.com/oapi-codegen/runtime"
)

// The served document makes a Go client with oapi-codegen (v2, the common Go
// generator; a tool in go.mod), and the client compiles with the shapes users
// rely on: every error response a complete type with its message and field,
// customer_id a string-or-integer union, integers 64-bit.
func TestOpenAPIGeneratesAGoClient(t *testing.T) {
	srv := httptest.NewServer(New(nil, nil, func(h http.Handler) http.Handler { return h }).Routes())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %v", resp.StatusCode, err)
	}

	dir := t.TempDir()
	docPath := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	gen := exec.Command(goCmd, "tool", "oapi-codegen", "-generate", "types,client", "-package", "pivotalclient", docPath)
	gen.Dir = ".."
	client, err := gen.Output()
	if err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, stderr(err))
	}
	if err := os.WriteFile(filepath.Join(dir, "client.go"), client, 0o644); err != nil {
		t.Fatal(err)
	}

	// uses.go compiles only if the generated types have the expected shapes.
	var d struct {
		Components struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	var errorTypes []string
	for name, r := range d.Components.Responses {
		ref := r.Content["application/json"].Schema.Ref
		typ, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok {
			t.Errorf("response %s: its schema is not one named component (%q)", name, ref)
			continue
		}
		errorTypes = append(errorTypes, typ)
	}
	sort.Strings(errorTypes)
	var uses strings.Builder
	uses.WriteString("package pivotalclient\n\nvar _ = func() {\n")
	for _, typ := range errorTypes {
		fmt.Fprintf(&uses, "\t{\n\t\tvar e %s\n\t\tvar msg string = e.Error.Message\n\t\tvar field *string = e.Error.Field\n\t\t_, _ = msg, field\n\t}\n", typ)
	}
	uses.WriteString(`	var body OnboardingCreate
	_ = body.CustomerId.FromOnboardingCreateCustomerId0("cabcdefghijklmnopqrstuvwx")
	_ = body.CustomerId.FromOnboardingCreateCustomerId1(int64(42))
	var c Customer
	var displayID int64 = c.DisplayId
	var mrr *int64 = c.Mrr
	_, _ = displayID, mrr
}
`)
	if err := os.WriteFile(filepath.Join(dir, "uses.go"), []byte(uses.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command(goCmd, "build", "-o", os.DevNull, filepath.Join(dir, "client.go"), filepath.Join(dir, "uses.go"))
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the generated client does not compile: %v\n%s", err, out)
	}
}

func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
