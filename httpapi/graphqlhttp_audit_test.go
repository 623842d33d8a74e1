package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"pivotal/npmtest"
)

// graphql-http's server audit (npm graphql-http, the GraphQL over HTTP spec's
// reference implementation and its conformance suite) passes against /graphql
// with no error and no warning: every MUST and every SHOULD it checks (issue
// 10 C1). Its version is pinned by testdata/graphql-http/package-lock.json.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	dir := npmtest.Install(t, filepath.Join("testdata", "graphql-http"))
	e := newEnv(t)
	key := e.key("audit")
	cmd := exec.Command("node", "audit.mjs")
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "PIVOTAL_URL="+e.srv.URL+"/graphql", "PIVOTAL_KEY="+key)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node audit.mjs: %v\n%s", err, stderr.Bytes())
	}
	var ok, notices int
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			ID, Name, Status, Reason, ContentType, Body string
			Code                                        int
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit output %q: %v", sc.Text(), err)
		}
		switch r.Status {
		case "ok":
			ok++
		case "notice":
			notices++
			t.Logf("notice %s %s: %s", r.ID, r.Name, r.Reason)
		default:
			t.Errorf("%s %s %s: %s\n  answered %d %s: %s", r.Status, r.ID, r.Name, r.Reason, r.Code, r.ContentType, r.Body)
		}
	}
	t.Logf("graphql-http audit: %d ok, %d notices", ok, notices)
	if ok == 0 {
		t.Errorf("no audit passed; output:\n%s", out)
	}
}
