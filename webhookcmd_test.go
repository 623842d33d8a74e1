package main

import (
	"strings"
	"testing"

	"pivotal/db/dbtest"
)

// TestWebhooksCommands: create prints the id and the secret once, list shows
// endpoints without secrets, delete removes one; a private target needs the
// operator's permission.
func TestWebhooksCommands(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.NewDatabase(t)}
	if _, err := cli(t, env, "keys", "create", "--workspace", "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli(t, env, "webhooks", "create", "--workspace", "acme", "--url", "http://127.0.0.1:9/hook"); err == nil ||
		!strings.Contains(err.Error(), "loopback") {
		t.Fatalf("a loopback URL without --allow-private: %v", err)
	}
	out, err := cli(t, env, "webhooks", "create", "--workspace", "acme", "--url", "https://hooks.example.com/pivotal",
		"--events", "customer.created,onboarding.completed", "--description", "CRM")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(out)
	if len(f) != 2 || !strings.HasPrefix(f[0], "ep_") || !strings.HasPrefix(f[1], "whsec_") {
		t.Fatalf("create printed %q, want the id and the secret", out)
	}
	id, secret := f[0], f[1]
	test, err := cli(t, env, "webhooks", "create", "--workspace", "acme", "--url", "http://127.0.0.1:9/test", "--test", "--allow-private")
	if err != nil {
		t.Fatal(err)
	}
	list, err := cli(t, env, "webhooks", "list", "--workspace", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, id) || !strings.Contains(list, "customer.created,onboarding.completed") ||
		!strings.Contains(list, strings.Fields(test)[0]) || !strings.Contains(list, "test") || strings.Contains(list, "whsec_") {
		t.Fatalf("list:\n%s", list)
	}
	if out, err := cli(t, env, "webhooks", "delete", "--workspace", "acme", id); err != nil || !strings.Contains(out, "deleted "+id) {
		t.Fatalf("delete: %q %v", out, err)
	}
	if _, err := cli(t, env, "webhooks", "delete", "--workspace", "acme", id); err == nil || !strings.Contains(err.Error(), "No such webhook endpoint") {
		t.Fatalf("deleting twice: %v", err)
	}
	if list, _ = cli(t, env, "webhooks", "list", "--workspace", "acme"); strings.Contains(list, id) || strings.Contains(list, secret) {
		t.Fatalf("list after delete:\n%s", list)
	}
}
