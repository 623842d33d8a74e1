package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pivotal/db/dbtest"
)

// TestWebhooksDocReceiver builds the Go receiver of docs/webhooks.md, creates
// an endpoint for it with the document's own GraphQL mutation, and sees it
// verify and log a customer.created; a replay of that message is
// acknowledged but not handled twice (deduplication on the event id).
func TestWebhooksDocReceiver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary and the documented receiver")
	}
	var code, mutation string
	for _, f := range fences(t, "docs/webhooks.md") {
		switch {
		case f.info == "go" && code == "":
			code = f.body
		case f.info == "graphql" && strings.Contains(f.body, "createWebhookEndpoint") && mutation == "":
			mutation = f.body
		}
	}
	if code == "" || mutation == "" {
		t.Fatal("docs/webhooks.md has no Go receiver or no createWebhookEndpoint example")
	}
	// Built inside the module, so that it uses the module's Svix library.
	dir, err := os.MkdirTemp(".", "docreceiver-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "receiver")
	if out, err := exec.Command("go", "build", "-o", bin, "./"+filepath.Base(dir)).CombinedOutput(); err != nil {
		t.Fatalf("the documented receiver does not build: %v\n%s", err, out)
	}
	os.RemoveAll(dir)

	// The endpoint's ping goes out before the receiver can start (it needs the
	// secret the creation returns), so it is retried: the time scale brings
	// the schedule's 5 s and 5 min down to 83 ms and 5 s.
	env := []string{"DATABASE_URL=" + dbtest.NewDatabase(t), "PIVOTAL_LOG_FORMAT=json", "PIVOTAL_WEBHOOK_ALLOW_PRIVATE=true",
		"PIVOTAL_WEBHOOK_TIME_SCALE=60"}
	key := binCLI(t, env, "keys", "create", "--workspace", "docs")
	s := startServer(t, env)
	s.waitReady(t)
	api := &instance{name: "serve", url: "http://" + s.addr}
	defer func() {
		s.cmd.Process.Kill()
		s.exit(t, 10*time.Second)
	}()

	recvAddr := freeAddr(t)
	mutation = strings.Replace(mutation, "https://hooks.example.com/pivotal", "http://"+recvAddr+"/pivotal/webhooks", 1)
	body, _ := json.Marshal(map[string]string{"query": mutation})
	r := api.do(t, "POST", "/graphql", key, string(body))
	var created struct {
		Data struct {
			C struct {
				Endpoint struct{ ID string } `json:"endpoint"`
				Secret   string              `json:"secret"`
			} `json:"createWebhookEndpoint"`
		} `json:"data"`
	}
	if json.Unmarshal([]byte(r.body), &created) != nil || created.Data.C.Secret == "" {
		t.Fatalf("the documented createWebhookEndpoint: %d %s", r.status, r.body)
	}

	var logs syncBuffer
	recv := exec.Command(bin)
	recv.Env = append(os.Environ(), "PIVOTAL_WEBHOOK_SECRET="+created.Data.C.Secret, "ADDR="+recvAddr)
	recv.Stderr = &logs
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { recv.Process.Kill(); recv.Wait() }()

	if r := api.do(t, "POST", "/api/v1/customers", key, `{"name":"Documented"}`); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	waitUntil(t, "the receiver to log customer.created", func() bool {
		return strings.Contains(logs.String(), " customer.created {")
	})
	waitUntil(t, "the receiver to log the endpoint's ping (retried)", func() bool {
		return strings.Contains(logs.String(), " webhook.ping {")
	})

	// Replay the customer.created message: acknowledged, not handled again.
	msgs := func() []struct {
		ID, EventType string
		Attempts      []struct{ StatusCode int }
	} {
		q, _ := json.Marshal(map[string]any{"query": `query($id: ID!) { webhookMessages(endpointId: $id) { nodes { id eventType attempts { statusCode } } } }`,
			"variables": map[string]any{"id": created.Data.C.Endpoint.ID}})
		var out struct {
			Data struct {
				M struct {
					Nodes []struct {
						ID, EventType string
						Attempts      []struct{ StatusCode int }
					}
				} `json:"webhookMessages"`
			}
		}
		json.Unmarshal([]byte(api.do(t, "POST", "/graphql", key, string(q)).body), &out)
		return out.Data.M.Nodes
	}
	var msgID string
	for _, m := range msgs() {
		if m.EventType == "customer.created" {
			msgID = m.ID
		}
	}
	q := fmt.Sprintf(`{"query":"mutation { replayWebhookMessage(id: \"%s\") { message { id } } }"}`, msgID)
	if r := api.do(t, "POST", "/graphql", key, q); !strings.Contains(r.body, msgID) {
		t.Fatalf("replay: %s", r.body)
	}
	waitUntil(t, "the replay to be acknowledged", func() bool {
		for _, m := range msgs() {
			if m.ID == msgID && len(m.Attempts) == 2 && m.Attempts[1].StatusCode == 204 {
				return true
			}
		}
		return false
	})
	if n := strings.Count(logs.String(), " customer.created {"); n != 1 {
		t.Errorf("the receiver handled the event %d times:\n%s", n, logs.String())
	}
}
