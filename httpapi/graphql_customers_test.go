package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pivotal/auth/leaktest"
)

const customerFieldsGQL = `id displayId name slug domain status plan mrr monthlyOrders hubspotCompanyId hubspotDealId
	stripeCustomerId intercomCompanyId slackChannelId metadata createdAt updatedAt`

func TestGraphQLCustomerLifecycle(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")

	r := e.gql(key, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { `+customerFieldsGQL+` } } }`,
		map[string]any{"in": map[string]any{"name": "Granite Gym", "domain": "GRANITE.example", "status": "AT_RISK",
			"mrr": 15400, "metadata": map[string]any{"tier": "gold"}}})
	r.expect(t, 200, `{"data":{"createCustomer":{"customer":{"id":"$cuid","displayId":1,"name":"Granite Gym",
		"slug":"granite-gym","domain":"granite.example","status":"AT_RISK","plan":null,"mrr":15400,"monthlyOrders":null,
		"hubspotCompanyId":null,"hubspotDealId":null,"stripeCustomerId":null,"intercomCompanyId":null,"slackChannelId":null,
		"metadata":{"tier":"gold"},"createdAt":"$time","updatedAt":"$time"}}}}`)
	id := r.json(t)["data"].(map[string]any)["createCustomer"].(map[string]any)["customer"].(map[string]any)["id"].(string)

	// The same object through REST: one resolver, two encodings.
	e.do("GET", "/api/v1/customers/"+id, key, "").expect(t, 200, `{"object":"customer","id":"`+id+`","display_id":1,
		"name":"Granite Gym","slug":"granite-gym","domain":"granite.example","status":"at_risk","plan":null,"mrr":15400,
		"monthly_orders":null,"hubspot_company_id":null,"hubspot_deal_id":null,"stripe_customer_id":null,
		"intercom_company_id":null,"slack_channel_id":null,"metadata":{"tier":"gold"},"created_at":"$time","updated_at":"$time"}`)

	for _, ref := range []string{id, "1"} {
		e.gql(key, `query($id: ID!) { customer(id: $id) { id name } }`, map[string]any{"id": ref}).expect(t, 200,
			`{"data":{"customer":{"id":"`+id+`","name":"Granite Gym"}}}`)
	}
	e.gql(key, `query($id: ID!) { node(id: $id) { id ... on Customer { slug } } }`, map[string]any{"id": id}).expect(t, 200,
		`{"data":{"node":{"id":"`+id+`","slug":"granite-gym"}}}`)

	// Absent fields stay, null clears, omitted status stays.
	e.gql(key, `mutation { updateCustomer(id: "1", input: {plan: "gold", domain: null}) { customer { plan domain mrr status } } }`, nil).
		expect(t, 200, `{"data":{"updateCustomer":{"customer":{"plan":"gold","domain":null,"mrr":15400,"status":"AT_RISK"}}}}`)
	e.gql(key, `mutation { updateCustomer(id: "1", input: {name: null}) { customer { name } } }`, nil).expect(t, 200,
		`{"errors":[{"message":"name must be a string","path":["updateCustomer"],"locations":"$any",
		"extensions":{"code":"BAD_USER_INPUT","errorCode":"invalid_type","field":"name"}}],"data":{"updateCustomer":null}}`)
	e.gql(key, `mutation { updateCustomer(id: "1", input: {monthlyOrders: -3}) { customer { name } } }`, nil).expect(t, 200,
		`{"errors":[{"message":"monthly_orders must be at least 0","path":["updateCustomer"],"locations":"$any",
		"extensions":{"code":"BAD_USER_INPUT","errorCode":"too_small","field":"monthlyOrders"}}],"data":{"updateCustomer":null}}`)

	e.gql(key, `mutation { createCustomer(input: {name: "Other", slug: "granite-gym"}) { customer { id } } }`, nil).expect(t, 200,
		`{"errors":[{"message":"A customer with slug \"granite-gym\" already exists.","path":["createCustomer"],"locations":"$any",
		"extensions":{"code":"CONFLICT","errorCode":"slug_taken","field":"slug"}}],"data":{"createCustomer":null}}`)

	e.gql(key, `mutation { deleteCustomer(id: "1") { deletedId displayId } }`, nil).expect(t, 200,
		`{"data":{"deleteCustomer":{"deletedId":"`+id+`","displayId":1}}}`)
	e.gql(key, `mutation { deleteCustomer(id: "1") { deletedId displayId } }`, nil).expect(t, 200,
		`{"data":{"deleteCustomer":{"deletedId":"`+id+`","displayId":1}}}`)
	e.gql(key, `{ customer(id: "1") { id } }`, nil).expect(t, 200,
		`{"errors":[{"message":"No such customer.","path":["customer"],"locations":[{"line":1,"column":3}],
		"extensions":{"code":"NOT_FOUND","errorCode":"customer_not_found"}}],"data":{"customer":null}}`)
}

func TestGraphQLCustomersConnection(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	for i := 0; i < 5; i++ {
		e.do("POST", "/api/v1/customers", key, fmt.Sprintf(`{"name":"c%d","status":"%s"}`, i, []string{"active", "churned"}[i%2])).expect(t, 201, "")
	}
	q := `query($after: String) { customers(first: 2, after: $after) {
		edges { cursor node { name } } nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	var names []string
	var after any
	for page := 0; page < 5; page++ {
		body := e.gql(key, q, map[string]any{"after": after}).json(t)
		conn := body["data"].(map[string]any)["customers"].(map[string]any)
		edges := conn["edges"].([]any)
		nodes := conn["nodes"].([]any)
		pi := conn["pageInfo"].(map[string]any)
		for i, ed := range edges {
			n := ed.(map[string]any)["node"].(map[string]any)["name"].(string)
			if nodes[i].(map[string]any)["name"] != n {
				t.Fatalf("edges and nodes disagree: %v", conn)
			}
			names = append(names, n)
		}
		if len(edges) > 0 && pi["endCursor"] != edges[len(edges)-1].(map[string]any)["cursor"] {
			t.Fatalf("endCursor is not the last edge's cursor: %v", conn)
		}
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"]
	}
	if strings.Join(names, ",") != "c4,c3,c2,c1,c0" {
		t.Fatalf("walk: %v", names)
	}
	e.gql(key, `{ customers(filter: {status: CHURNED}) { nodes { name } } }`, nil).expect(t, 200,
		`{"data":{"customers":{"nodes":[{"name":"c3"},{"name":"c1"}]}}}`)
	e.gql(key, `{ customers(filter: {slug: "c2"}) { nodes { name } } }`, nil).expect(t, 200,
		`{"data":{"customers":{"nodes":[{"name":"c2"}]}}}`)
	e.gql(key, `{ customers(first: 101) { nodes { name } } }`, nil).expect(t, 200,
		`{"errors":[{"message":"first must be at most 100","path":["customers"],"locations":"$any",
		"extensions":{"code":"BAD_USER_INPUT","errorCode":"too_big","field":"first"}}],"data":null}`)
	e.gql(key, `{ customers(first: 0) { nodes { name } } }`, nil).expect(t, 200, `{"errors":[{"message":"first must be at least 1",
		"path":["customers"],"locations":"$any","extensions":{"code":"BAD_USER_INPUT","errorCode":"too_small","field":"first"}}],"data":null}`)
	e.gql(key, `{ customers(after: "bogus") { nodes { name } } }`, nil).expect(t, 200, `{"errors":[{"message":"after is not a valid cursor",
		"path":["customers"],"locations":"$any","extensions":{"code":"BAD_USER_INPUT","errorCode":"invalid_string","field":"after"}}],"data":null}`)
}

func TestGraphQLCustomerTenancy(t *testing.T) {
	e := newEnv(t)
	a, b := e.key("alpha"), e.key("beta")
	id := e.do("POST", "/api/v1/customers", a, `{"name":"Secret"}`).str(t, "id")
	notFound := func(field string) string {
		return `{"errors":[{"message":"No such customer.","path":["` + field + `"],"locations":"$any",
			"extensions":{"code":"NOT_FOUND","errorCode":"customer_not_found"}}],"data":"$any"}`
	}
	for _, ref := range []string{id, "1"} {
		vars := map[string]any{"id": ref}
		e.gql(b, `query($id: ID!) { customer(id: $id) { id } }`, vars).expect(t, 200, notFound("customer"))
		e.gql(b, `mutation($id: ID!) { updateCustomer(id: $id, input: {name: "x"}) { customer { id } } }`, vars).expect(t, 200, notFound("updateCustomer"))
		e.gql(b, `mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }`, vars).expect(t, 200, notFound("deleteCustomer"))
	}
	e.gql(b, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).expect(t, 200,
		`{"errors":[{"message":"Could not resolve to a node with the id \"`+id+`\".","path":["node"],"locations":"$any",
		"extensions":{"code":"NOT_FOUND","errorCode":"node_not_found","field":"id"}}],"data":{"node":null}}`)
	e.gql(b, `{ customers { nodes { id } } }`, nil).expect(t, 200, `{"data":{"customers":{"nodes":[]}}}`)
	e.gql(a, `{ customers { nodes { name } } }`, nil).expect(t, 200, `{"data":{"customers":{"nodes":[{"name":"Secret"}]}}}`)
}

func TestGraphQLKeys(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme", "Ops", "paid")
	e.gql(key, `{ me { livemode scopes workspace { slug name } apiKey { name prefix rateLimitTier } } }`, nil).expect(t, 200,
		`{"data":{"me":{"livemode":true,"scopes":["read:customers","write:customers","read:contacts","write:contacts","read:onboardings","write:onboardings"],
		"workspace":{"slug":"acme","name":"acme"},"apiKey":{"name":"Ops","prefix":"`+key[:16]+`","rateLimitTier":"PAID"}}}}`)

	r := e.gql(key, `mutation { createApiKey(name: "Dashboard", test: true) { secret apiKey { id name livemode rateLimitTier revokedAt } } }`, nil)
	r.expect(t, 200, `{"data":{"createApiKey":{"secret":"$any","apiKey":{"id":"$cuid","name":"Dashboard","livemode":false,"rateLimitTier":"PAID","revokedAt":null}}}}`)
	created := r.json(t)["data"].(map[string]any)["createApiKey"].(map[string]any)
	secret := created["secret"].(string)
	newID := created["apiKey"].(map[string]any)["id"].(string)
	if !strings.HasPrefix(secret, "pivotal_test_") || len(secret) != len("pivotal_test_")+32 {
		t.Fatalf("secret %q", secret)
	}
	e.do("GET", "/api/v1/me", secret, "").expect(t, 200, "")

	keys := e.gql(key, `{ apiKeys { id name } }`, nil)
	keys.expect(t, 200, `{"data":{"apiKeys":[{"id":"`+newID+`","name":"Dashboard"},{"id":"$cuid","name":"Ops"}]}}`)
	if strings.Contains(string(keys.Body), secret) {
		t.Fatal("listing shows a secret")
	}
	// Stored as its SHA-256 only: the row's bytes hold no part of the secret,
	// and no other column does either.
	var row struct {
		Hash []byte `db:"hash"`
		Text string `db:"text"`
	}
	if err := e.store.Get(&row, `SELECT hash, to_jsonb(k)::text AS text FROM api_keys k WHERE id = $1`, newID); err != nil {
		t.Fatalf("reading the stored key: %v", err)
	}
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(row.Hash, sum[:]) {
		t.Fatalf("the stored hash %x is not the key's SHA-256", row.Hash)
	}
	body := secret[len("pivotal_test_"):]
	for _, part := range []string{body, body[8:], hex.EncodeToString([]byte(body[8:]))} {
		if bytes.Contains(row.Hash, []byte(part)) || strings.Contains(row.Text, part) {
			t.Fatalf("a key is stored in clear: %s", row.Text)
		}
	}
	e.gql(key, `mutation { createApiKey(name: "") { secret } }`, nil).expect(t, 200, `{"errors":[{"message":"name must not be empty",
		"path":["createApiKey"],"locations":"$any","extensions":{"code":"BAD_USER_INPUT","errorCode":"too_small","field":"name"}}],"data":{"createApiKey":null}}`)

	// Another workspace cannot revoke it; this one can, by prefix, at once.
	other := e.key("other")
	e.gql(other, `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`, map[string]any{"id": newID}).expect(t, 200,
		`{"errors":[{"message":"No such api key.","path":["revokeApiKey"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"api_key_not_found"}}],"data":{"revokeApiKey":null}}`)
	e.gql(key, `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } } }`, map[string]any{"id": secret[:21]}).expect(t, 200,
		`{"data":{"revokeApiKey":{"apiKey":{"id":"`+newID+`","revokedAt":"$time"}}}}`)
	e.do("GET", "/api/v1/me", secret, "").expect(t, 401, `{"error":{"type":"authentication_error","code":"api_key_revoked","message":"$any"}}`)

	// By the full key too; only its hash reaches PostgreSQL (the server's log
	// of every statement is searched for keys after the run: auth/leaktest).
	var made struct {
		Data struct{ CreateApiKey struct{ Secret string } }
	}
	if err := json.Unmarshal(e.gql(key, `mutation { createApiKey(name: "CRM sync", test: true) { secret } }`, nil).Body, &made); err != nil {
		t.Fatal(err)
	}
	full := made.Data.CreateApiKey.Secret
	leaktest.Key(full)
	e.gql(other, `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { name } } }`, map[string]any{"id": full}).expect(t, 200,
		`{"errors":[{"message":"No such api key.","path":["revokeApiKey"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"api_key_not_found"}}],"data":{"revokeApiKey":null}}`)
	e.gql(key, `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { name revokedAt } } }`, map[string]any{"id": full}).expect(t, 200,
		`{"data":{"revokeApiKey":{"apiKey":{"name":"CRM sync","revokedAt":"$time"}}}}`)
	e.do("GET", "/api/v1/me", full, "").expect(t, 401, `{"error":{"type":"authentication_error","code":"api_key_revoked","message":"$any"}}`)
}
