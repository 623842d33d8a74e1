package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fence is one fenced block of a markdown file.
type fence struct {
	info string // what follows the opening ```
	body string
	line int // of the opening fence
}

func fences(t *testing.T, path string) []fence {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []fence
	var cur *fence
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fence{info: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: i + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: a fence is never closed", path, cur.line)
	}
	return out
}

// example is a ```sh block of the README and the ```json or ```text block
// right after it, if any: what it must print.
type example struct {
	fence
	want, wantKind string
}

func examples(t *testing.T) []example {
	fs := fences(t, "README.md")
	var out []example
	for i, f := range fs {
		if f.info != "sh" {
			continue
		}
		ex := example{fence: f}
		if i+1 < len(fs) && (fs[i+1].info == "json" || fs[i+1].info == "text") {
			ex.want, ex.wantKind = fs[i+1].body, fs[i+1].info
		}
		out = append(out, ex)
	}
	return out
}

// runAsMakeRun starts the binary in a fresh directory as `make run` does
// (./bin/pivotal serve --demo, the embedded cluster in ./.pivotal), on a free
// port, and returns the directory and the address.
func runAsMakeRun(t *testing.T) (dir, addr string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "pivotal-readme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // as root, PostgreSQL runs as postgres
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary(t), filepath.Join(dir, "bin", "pivotal")); err != nil {
		t.Fatal(err)
	}
	addr = freeAddr(t)
	cmd := exec.Command("./bin/pivotal", "serve", "--demo", "--addr", addr)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var logs lockedLog
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the server exited with %v:\n%s", err, logs.String())
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Errorf("the server did not stop:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(logs.String(), "Demo workspace ready") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo never became ready:\n%s", logs.String())
		}
		select {
		case err := <-done:
			t.Fatalf("the server exited (%v):\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return dir, addr
}

// cleanEnv is this process's environment without pivotal's settings, so the
// server and the examples run as on a fresh machine.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PIVOTAL_") || strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "REDIS_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

type lockedLog struct{ syncBuffer }

// The examples of the README and the recipes of docs/graphql.md work on a
// server started as `make run` starts it (only the port differs).
func TestDocumentedExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server and its own PostgreSQL")
	}
	dir, addr := runAsMakeRun(t)
	// The recipes first: the README's examples end by revoking their key.
	t.Run("docs/graphql.md recipes", func(t *testing.T) { graphQLRecipes(t, dir, addr) })
	t.Run("README", func(t *testing.T) { readmeExamples(t, dir, addr) })
}

// Every example of the README, run as written, prints what the README says it
// prints, with nothing on stderr. Ids, timestamps, keys and cursors may
// differ from the README's; everything else must be equal.
func readmeExamples(t *testing.T, dir, addr string) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README's examples use curl; install it (apt-get install curl)")
	}
	exs := examples(t)
	if len(exs) < 8 {
		t.Fatalf("only %d examples found in the README", len(exs))
	}
	port := addr[strings.LastIndex(addr, ":")+1:]

	// One shell runs every block in order, so a block sees the variables of
	// the blocks before it (KEY), each block's output going to its own files.
	var script strings.Builder
	script.WriteString("set -o pipefail\n")
	for i, ex := range exs {
		body := strings.ReplaceAll(ex.body, "localhost:8080", "localhost:"+port)
		fmt.Fprintf(&script, "{\n%s} >out.%d 2>err.%d; echo $? >rc.%d\n", body, i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "readme.sh"), []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "readme.sh")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the examples: %v\n%s", err, out)
	}
	for i, ex := range exs {
		read := func(name string) string {
			b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s.%d", name, i)))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		got, stderr, rc := read("out"), read("err"), strings.TrimSpace(read("rc"))
		where := fmt.Sprintf("README.md:%d", ex.line)
		if rc != "0" || stderr != "" {
			t.Errorf("%s: exit status %s, stderr:\n%s\ncommands:\n%s", where, rc, stderr, ex.body)
			continue
		}
		switch ex.wantKind {
		case "":
			if got != "" {
				t.Errorf("%s prints, but the README shows no output:\n%s", where, got)
			}
		case "json":
			if err := sameJSON(got, ex.want); err != nil {
				t.Errorf("%s: %v\ncommands:\n%s\nprinted:\n%s", where, err, ex.body, got)
			}
		case "text":
			if g, w := normalizeText(got), normalizeText(ex.want); g != w {
				t.Errorf("%s printed:\n%s\nthe README says:\n%s", where, got, ex.want)
			}
		}
	}
}

// What may differ between a run and the README.
var (
	cuidRE   = regexp.MustCompile(`\bc[0-9a-z]{24}\b`)
	timeRE   = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\b`)
	keyRE    = regexp.MustCompile(`\bpivotal_(?:test_)?[0-9A-Za-z]{32}\b`)
	prefixRE = regexp.MustCompile(`\bpivotal_(?:test_)?[0-9A-Za-z]{8}\b`)
)

func normalizeText(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r", "")
	for re, to := range map[*regexp.Regexp]string{cuidRE: "<id>", timeRE: "<time>", keyRE: "<key>"} {
		s = re.ReplaceAllString(s, to)
	}
	return prefixRE.ReplaceAllString(s, "<prefix>")
}

// normalizeJSON replaces the values that differ from run to run.
func normalizeJSON(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalizeJSON(e, k)
		}
	case []any:
		for i, e := range v {
			v[i] = normalizeJSON(e, key)
		}
	case string:
		if key == "endCursor" || key == "startCursor" || key == "cursor" {
			return "<cursor>"
		}
		return normalizeText(v)
	}
	return v
}

// sameJSON compares two streams of JSON values after normalizeJSON.
func sameJSON(got, want string) error {
	decode := func(s string) ([]any, error) {
		var vs []any
		d := json.NewDecoder(strings.NewReader(s))
		for {
			var v any
			if err := d.Decode(&v); errors.Is(err, io.EOF) {
				return vs, nil
			} else if err != nil {
				return nil, err
			}
			vs = append(vs, normalizeJSON(v, ""))
		}
	}
	g, err := decode(got)
	if err != nil {
		return fmt.Errorf("the output is not JSON: %v", err)
	}
	w, err := decode(want)
	if err != nil {
		return fmt.Errorf("the README's expected output is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		return fmt.Errorf("the output differs from the README's:\n got %s\nwant %s", gb, wb)
	}
	return nil
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// arriving are documents written by work not yet merged with this branch.
var arriving = map[string]string{}

// The README and the docs link only to files of the repository that exist,
// and never outside it.
func TestDocsLinkInsideTheRepository(t *testing.T) {
	docs, _ := filepath.Glob("docs/*.md")
	for _, doc := range append([]string{"README.md"}, docs...) {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("shared/")) {
			t.Errorf("%s points to the developers' shared directory", doc)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
				if doc == "README.md" {
					t.Errorf("README.md links outside the repository: %s", m[1])
				}
				continue
			}
			if target == "" {
				continue
			}
			path := filepath.Clean(filepath.Join(filepath.Dir(doc), target))
			if strings.HasPrefix(path, "..") {
				t.Errorf("%s links outside the repository: %s", doc, m[1])
				continue
			}
			if _, err := os.Stat(path); err != nil {
				if by, ok := arriving[filepath.ToSlash(path)]; ok {
					t.Logf("%s links %s, which %s writes", doc, path, by)
					continue
				}
				t.Errorf("%s links %s, which does not exist", doc, m[1])
			}
		}
	}
}

// The dashboard recipes of docs/graphql.md run without errors on the demo
// workspace, and each of their top-level fields has data.
func graphQLRecipes(t *testing.T, dir, addr string) {
	var recipes []fence
	for _, f := range fences(t, "docs/graphql.md") {
		if f.info == "graphql" && strings.HasPrefix(f.body, "query ") {
			recipes = append(recipes, f)
		}
	}
	if len(recipes) < 4 {
		t.Fatalf("only %d recipes found", len(recipes))
	}
	cmd := exec.Command("./bin/pivotal", "keys", "create", "--workspace", "demo", "--name", "recipes")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(out))
	for _, r := range recipes {
		body, _ := json.Marshal(map[string]any{"query": r.body})
		req, _ := http.NewRequest("POST", "http://"+addr+"/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Data   map[string]any
			Errors []any
		}
		err = json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(got.Errors) > 0 || len(got.Data) == 0 {
			t.Errorf("docs/graphql.md:%d: %d %v %+v", r.line, resp.StatusCode, err, got)
			continue
		}
		for field, v := range got.Data {
			if v == nil || strings.Contains(fmt.Sprint(v), "nodes:[]") {
				t.Errorf("docs/graphql.md:%d: %s is empty on the demo workspace: %v", r.line, field, v)
			}
		}
	}
}

// TestReadmeFileMap: the README's Layout block has a line for every package,
// root file and top-level folder, names nothing that is gone, and every "✗"
// (what an entry must not import) holds for its non-test code, directly or
// through our other packages ("(direct)": only its own imports count).
func TestReadmeFileMap(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	layout := strings.Count(string(readme[:bytes.Index(readme, []byte("\n## Layout\n"))+1]), "\n") + 1
	var block string
	for _, f := range fences(t, "README.md") {
		if f.line > layout {
			block = f.body
			break
		}
	}
	if block == "" {
		t.Fatal("README.md: no fenced file map after ## Layout")
	}
	type entry struct {
		names []string
		rule  string
	}
	var entries []*entry
	listed := map[string]bool{}
	for _, line := range strings.Split(block, "\n") {
		if line == "" {
			continue
		}
		if line[0] != ' ' {
			names, _, _ := strings.Cut(line, "  ")
			e := &entry{names: strings.Split(names, ", ")}
			entries = append(entries, e)
			for _, n := range e.names {
				listed[n] = true
			}
		}
		if _, rule, ok := strings.Cut(line, "✗ "); ok && len(entries) > 0 {
			entries[len(entries)-1].rule = strings.TrimSpace(rule)
		}
	}

	// Every listed name exists.
	for n := range listed {
		if strings.HasPrefix(n, "*") {
			continue
		}
		if _, err := os.Stat(n); err != nil {
			t.Errorf("README file map lists %s: %v", n, err)
		}
	}
	// Every root file and folder, and every folder holding Go code, is listed.
	skip := map[string]bool{".git": true, "bin": true, ".pivotal": true, "node_modules": true, "testdata": true}
	root, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range root {
		n := d.Name()
		switch {
		case skip[n] || strings.HasSuffix(n, ".test") || strings.HasSuffix(n, ".out"):
		case d.IsDir() && !listed[n+"/"] && !listedUnder(listed, n+"/"):
			t.Errorf("README file map: no line for the folder %s/", n)
		case !d.IsDir() && !listed[n]:
			t.Errorf("README file map: no line for the root file %s", n)
		}
	}
	goDirs := map[string]bool{}
	filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (skip[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && filepath.Dir(path) != "." {
			goDirs[filepath.ToSlash(filepath.Dir(path))+"/"] = true
		}
		return nil
	})
	for dir := range goDirs {
		if !listed[dir] {
			t.Errorf("README file map: no line for the Go package %s", dir)
		}
	}

	// The import rules hold.
	for _, e := range entries {
		if e.rule == "" {
			continue
		}
		for _, n := range e.names {
			direct, err := ourImports(n)
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			all := map[string]bool{}
			var walk func(pkgs []string)
			walk = func(pkgs []string) {
				for _, p := range pkgs {
					if all[p] {
						continue
					}
					all[p] = true
					deps, err := ourImports(p + "/")
					if err != nil {
						t.Fatalf("%s: %v", p, err)
					}
					walk(deps)
				}
			}
			walk(direct)
			for _, banned := range strings.Split(e.rule, ", ") {
				switch {
				case banned == "anything of ours":
					if len(all) > 0 {
						t.Errorf("README file map: %s must import nothing of ours, but reaches %v", n, slices.Sorted(maps.Keys(all)))
					}
				case strings.HasSuffix(banned, " (direct)"):
					p := strings.TrimSuffix(banned, " (direct)")
					if slices.Contains(direct, p) {
						t.Errorf("README file map: %s must not import %s itself, but does", n, p)
					}
				case all[banned]:
					t.Errorf("README file map: %s must not import %s, but reaches it", n, banned)
				}
			}
		}
	}
}

// listedUnder reports whether some listed name is inside folder dir.
func listedUnder(listed map[string]bool, dir string) bool {
	for n := range listed {
		if strings.HasPrefix(n, dir) {
			return true
		}
	}
	return false
}

// ourImports returns the packages of this module that the non-test code of a
// package folder ("db/") or of one root file ("serve.go") imports, as folders
// without the module path ("db", "graph/model").
func ourImports(name string) ([]string, error) {
	var files []string
	if strings.HasSuffix(name, "/") {
		all, err := filepath.Glob(filepath.Join(name, "*.go"))
		if err != nil {
			return nil, err
		}
		for _, f := range all {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
			}
		}
	} else {
		files = []string{name}
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if rest, ok := strings.CutPrefix(p, "pivotal/"); ok && !seen[rest] {
				seen[rest] = true
				out = append(out, rest)
			}
		}
	}
	return out, nil
}
