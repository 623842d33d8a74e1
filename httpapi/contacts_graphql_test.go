package httpapi

import (
	"fmt"
	"strings"
	"testing"
)

const contactFieldsGQL = `id displayId customerId name email title isPrimary labels createdAt updatedAt`

func TestContactGraphQLQueries(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	id := e.newContact(key, cust, `{"name":"Maya","email":"maya@aurora.example","title":"CEO","is_primary":true,"labels":["vip"]}`)
	want := `{"data":{"contact":{"id":"` + id + `","displayId":1,"customerId":"` + cust + `","name":"Maya",
		"email":"maya@aurora.example","title":"CEO","isPrimary":true,"labels":["vip"],"createdAt":"$time","updatedAt":"$time",
		"customer":{"id":"` + cust + `","name":"Aurora"}}}}`
	for _, ref := range []string{id, "1"} {
		e.gql(key, `query($id: ID!) { contact(id: $id) { `+contactFieldsGQL+` customer { id name } } }`,
			map[string]any{"id": ref}).expect(t, 200, want)
	}
	// GraphQL and REST print the same timestamps.
	rest := e.do("GET", "/api/v1/contacts/"+id, key, "").json(t)
	g := e.gql(key, `{ contact(id: "1") { createdAt } }`, nil).json(t)
	if got := g["data"].(map[string]any)["contact"].(map[string]any)["createdAt"]; got != rest["created_at"] {
		t.Errorf("createdAt %v, REST created_at %v", got, rest["created_at"])
	}

	e.gql(key, `{ contact(id: "2") { id } }`, nil).expect(t, 200, `{"errors":[{"message":"No such contact.",
		"path":["contact"],"locations":[{"line":1,"column":3}],"extensions":{"code":"NOT_FOUND","errorCode":"contact_not_found"}}],
		"data":{"contact":null}}`)

	// node(id) resolves a contact by cuid only.
	e.gql(key, `query($id: ID!) { node(id: $id) { __typename id ... on Contact { email customer { name } } } }`,
		map[string]any{"id": id}).expect(t, 200, `{"data":{"node":{"__typename":"Contact","id":"`+id+`",
		"email":"maya@aurora.example","customer":{"name":"Aurora"}}}}`)
	e.gql(key, `{ node(id: "1") { id } }`, nil).expect(t, 200, `{"errors":[{"message":"Could not resolve to a node with the id \"1\".",
		"path":["node"],"locations":[{"line":1,"column":3}],"extensions":{"code":"NOT_FOUND","errorCode":"node_not_found","field":"id"}}],
		"data":{"node":null}}`)

	// A deleted contact, and a contact whose customer is deleted, are gone.
	e.do("DELETE", "/api/v1/contacts/"+id, key, "").expect(t, 200, "")
	other := e.newCustomer(key, "Closed")
	orphan := e.newContact(key, other, `{"name":"Orphan","email":"o@closed.example"}`)
	e.do("DELETE", "/api/v1/customers/"+other, key, "").expect(t, 200, "")
	for _, ref := range []string{id, orphan} {
		e.gql(key, `query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": ref}).expect(t, 200,
			`{"errors":[{"message":"No such contact.","path":["contact"],"locations":[{"line":1,"column":19}],
			"extensions":{"code":"NOT_FOUND","errorCode":"contact_not_found"}}],"data":{"contact":null}}`)
		e.gql(key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": ref}).expect(t, 200,
			`{"errors":[{"message":"$any","path":["node"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"node_not_found","field":"id"}}],"data":{"node":null}}`)
	}
}

func TestContactGraphQLMutations(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	add := `mutation($c: ID!, $in: CreateContactInput!) { createContact(customerId: $c, input: $in) { contact { ` + contactFieldsGQL + ` } } }`
	r := e.gql(key, add, map[string]any{"c": cust, "in": map[string]any{"name": "Maya", "email": " Maya@Aurora.Example",
		"title": "CEO", "isPrimary": true, "labels": []string{"vip", "billing"}}})
	r.expect(t, 200, `{"data":{"createContact":{"contact":{"id":"$cuid","displayId":1,"customerId":"`+cust+`","name":"Maya",
		"email":"maya@aurora.example","title":"CEO","isPrimary":true,"labels":["vip","billing"],"createdAt":"$time","updatedAt":"$time"}}}}`)
	id := r.json(t)["data"].(map[string]any)["createContact"].(map[string]any)["contact"].(map[string]any)["id"].(string)
	// Defaults, and the customer by display id.
	e.gql(key, add, map[string]any{"c": "1", "in": map[string]any{"name": "Luis", "email": "luis@aurora.example"}}).expect(t, 200,
		`{"data":{"createContact":{"contact":{"id":"$cuid","displayId":2,"customerId":"`+cust+`","name":"Luis",
		"email":"luis@aurora.example","title":null,"isPrimary":false,"labels":[],"createdAt":"$time","updatedAt":"$time"}}}}`)

	gqlErr := func(field, kind, code, fieldExt, msg string) string {
		ext := fmt.Sprintf(`"code":%q,"errorCode":%q`, kind, code)
		if fieldExt != "" {
			ext += fmt.Sprintf(`,"field":%q`, fieldExt)
		}
		return fmt.Sprintf(`{"errors":[{"message":%q,"path":[%q],"locations":[{"line":1,"column":"$any"}],"extensions":{%s}}],"data":{%q:null}}`,
			msg, field, ext, field)
	}
	e.gql(key, add, map[string]any{"c": cust, "in": map[string]any{"name": "X", "email": "MAYA@aurora.example"}}).expect(t, 200,
		gqlErr("createContact", "CONFLICT", "email_taken", "email", `A contact with email "maya@aurora.example" already exists for this customer.`))
	e.gql(key, add, map[string]any{"c": cust, "in": map[string]any{"name": "X", "email": "x@aurora.example", "labels": []string{"ok", ""}}}).expect(t, 200,
		gqlErr("createContact", "BAD_USER_INPUT", "too_small", "labels.1", "labels.1 must not be empty"))
	e.gql(key, add, map[string]any{"c": cust, "in": map[string]any{"name": "X", "email": "x at aurora"}}).expect(t, 200,
		gqlErr("createContact", "BAD_USER_INPUT", "invalid_string", "email", "email must be a valid email address"))
	e.gql(key, add, map[string]any{"c": "cnotthere0000000000000000", "in": map[string]any{"name": "X", "email": "x@aurora.example"}}).expect(t, 200,
		gqlErr("createContact", "NOT_FOUND", "customer_not_found", "", "No such customer."))

	// updateContact: an absent field is unchanged, null clears a nullable one.
	upd := `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { contact { ` + contactFieldsGQL + ` } } }`
	e.gql(key, upd, map[string]any{"id": id, "in": map[string]any{"title": nil, "labels": []string{}}}).expect(t, 200,
		`{"data":{"updateContact":{"contact":{"id":"`+id+`","displayId":1,"customerId":"`+cust+`","name":"Maya",
		"email":"maya@aurora.example","title":null,"isPrimary":true,"labels":[],"createdAt":"$time","updatedAt":"$time"}}}}`)
	e.gql(key, upd, map[string]any{"id": "2", "in": map[string]any{"isPrimary": true, "email": "LUIS.O@aurora.example"}}).expect(t, 200,
		`{"data":{"updateContact":{"contact":{"id":"$cuid","displayId":2,"customerId":"`+cust+`","name":"Luis",
		"email":"luis.o@aurora.example","title":null,"isPrimary":true,"labels":[],"createdAt":"$time","updatedAt":"$time"}}}}`)
	e.gql(key, `{ contact(id: "1") { isPrimary } }`, nil).expect(t, 200, `{"data":{"contact":{"isPrimary":false}}}`)
	e.gql(key, upd, map[string]any{"id": id, "in": map[string]any{"name": nil}}).expect(t, 200,
		gqlErr("updateContact", "BAD_USER_INPUT", "invalid_type", "name", "name must be a string"))
	e.gql(key, upd, map[string]any{"id": id, "in": map[string]any{"isPrimary": nil}}).expect(t, 200,
		gqlErr("updateContact", "BAD_USER_INPUT", "invalid_type", "isPrimary", "is_primary must be a boolean"))
	e.gql(key, upd, map[string]any{"id": id, "in": map[string]any{"labels": nil}}).expect(t, 200,
		gqlErr("updateContact", "BAD_USER_INPUT", "invalid_type", "labels", "labels must be an array of strings"))
	e.gql(key, upd, map[string]any{"id": id, "in": map[string]any{"email": "luis.o@aurora.example"}}).expect(t, 200,
		gqlErr("updateContact", "CONFLICT", "email_taken", "email", `A contact with email "luis.o@aurora.example" already exists for this customer.`))

	del := `mutation($id: ID!) { deleteContact(id: $id) { deletedId displayId } }`
	for i := 0; i < 2; i++ {
		e.gql(key, del, map[string]any{"id": id}).expect(t, 200, `{"data":{"deleteContact":{"deletedId":"`+id+`","displayId":1}}}`)
	}
	e.gql(key, upd, map[string]any{"id": id, "in": map[string]any{"name": "x"}}).expect(t, 200,
		gqlErr("updateContact", "NOT_FOUND", "contact_not_found", "", "No such contact."))
	e.gql(key, del, map[string]any{"id": "99"}).expect(t, 200,
		gqlErr("deleteContact", "NOT_FOUND", "contact_not_found", "", "No such contact."))
}

func TestCustomerContactsGraphQL(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	a, b := e.newCustomer(key, "Aurora"), e.newCustomer(key, "Birch")
	for i := 0; i < 5; i++ {
		e.newContact(key, a, fmt.Sprintf(`{"name":"a%d","email":"a%d@aurora.example","is_primary":%v}`, i, i, i == 2))
	}
	e.newContact(key, b, `{"name":"b0","email":"b0@birch.example"}`)
	q := `query($after: String) { customers { nodes { name
		contacts(first: 2, after: $after) { edges { cursor node { name customer { name } } } nodes { name }
			pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
		primaryContact { name isPrimary } } } }`
	r := e.gql(key, q, nil)
	r.expect(t, 200, `{"data":{"customers":{"nodes":[
		{"name":"Birch","contacts":{"edges":[{"cursor":"$any","node":{"name":"b0","customer":{"name":"Birch"}}}],"nodes":[{"name":"b0"}],
			"pageInfo":{"hasNextPage":false,"hasPreviousPage":false,"startCursor":"$any","endCursor":"$any"}},"primaryContact":null},
		{"name":"Aurora","contacts":{"edges":[{"cursor":"$any","node":{"name":"a4","customer":{"name":"Aurora"}}},
			{"cursor":"$any","node":{"name":"a3","customer":{"name":"Aurora"}}}],"nodes":[{"name":"a4"},{"name":"a3"}],
			"pageInfo":{"hasNextPage":true,"hasPreviousPage":false,"startCursor":"$any","endCursor":"$any"}},
			"primaryContact":{"name":"a2","isPrimary":true}}]}}}`)
	aurora := r.json(t)["data"].(map[string]any)["customers"].(map[string]any)["nodes"].([]any)[1].(map[string]any)["contacts"].(map[string]any)
	edges := aurora["edges"].([]any)
	pi := aurora["pageInfo"].(map[string]any)
	if pi["startCursor"] != edges[0].(map[string]any)["cursor"] || pi["endCursor"] != edges[1].(map[string]any)["cursor"] {
		t.Errorf("pageInfo cursors must be the first and last edge's: %v", aurora)
	}
	// Walk Aurora's contacts with the customer query and endCursor.
	walk := `query($after: String) { customer(id: "1") { contacts(first: 2, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } } }`
	var names []string
	var after any
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("walk does not end")
		}
		c := e.gql(key, walk, map[string]any{"after": after}).json(t)["data"].(map[string]any)["customer"].(map[string]any)["contacts"].(map[string]any)
		for _, n := range c["nodes"].([]any) {
			names = append(names, n.(map[string]any)["name"].(string))
		}
		pi := c["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"]
	}
	if fmt.Sprint(names) != "[a4 a3 a2 a1 a0]" {
		t.Errorf("walk: %v", names)
	}
	e.gql(key, `{ customer(id: "1") { contacts(first: 0) { nodes { name } } } }`, nil).expect(t, 200,
		`{"errors":[{"message":"first must be at least 1","path":["customer","contacts"],"locations":[{"line":1,"column":23}],
		"extensions":{"code":"BAD_USER_INPUT","errorCode":"too_small","field":"first"}}],"data":{"customer":{"contacts":null}}}`)
	e.gql(key, `{ customer(id: "1") { contacts(after: "bogus") { nodes { name } } } }`, nil).expect(t, 200,
		`{"errors":[{"message":"after is not a valid cursor","path":["customer","contacts"],"locations":[{"line":1,"column":23}],
		"extensions":{"code":"BAD_USER_INPUT","errorCode":"invalid_string","field":"after"}}],"data":{"customer":{"contacts":null}}}`)
	// A deleted contact leaves the connection; a deleted primary leaves primaryContact null.
	e.do("DELETE", "/api/v1/contacts/3", key, "").expect(t, 200, "")
	e.gql(key, `{ customer(id: "1") { contacts(first: 10) { nodes { name } } primaryContact { name } } }`, nil).expect(t, 200,
		`{"data":{"customer":{"contacts":{"nodes":[{"name":"a4"},{"name":"a3"},{"name":"a1"},{"name":"a0"}]},"primaryContact":null}}}`)
}

// TestContactGraphQLTenancy checks every contact entry point and nested field
// from a second workspace whose objects have the same display ids.
func TestContactGraphQLTenancy(t *testing.T) {
	e := newEnv(t)
	a, b := e.key("alpha"), e.key("beta")
	ca := e.newCustomer(a, "Alpha Co")
	ka := e.newContact(a, ca, `{"name":"Alpha Person","email":"p@alpha.example","is_primary":true}`)
	cb := e.newCustomer(b, "Beta Co")
	kb := e.newContact(b, cb, `{"name":"Beta Person","email":"p@beta.example","is_primary":true}`)

	// Beta sees its own objects only, at every level of nesting.
	e.gql(b, `{ customers { nodes { id contacts { nodes { id customer { id } } } primaryContact { id customer { id } } } } }`, nil).expect(t, 200,
		`{"data":{"customers":{"nodes":[{"id":"`+cb+`","contacts":{"nodes":[{"id":"`+kb+`","customer":{"id":"`+cb+`"}}]},
		"primaryContact":{"id":"`+kb+`","customer":{"id":"`+cb+`"}}}]}}}`)
	e.gql(b, `{ contact(id: "1") { id customer { id contacts { nodes { id } } primaryContact { id } } } }`, nil).expect(t, 200,
		`{"data":{"contact":{"id":"`+kb+`","customer":{"id":"`+cb+`","contacts":{"nodes":[{"id":"`+kb+`"}]},"primaryContact":{"id":"`+kb+`"}}}}}`)

	nf := func(field, code string) string {
		return `{"errors":[{"message":"$any","path":["` + field + `"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"` +
			code + `"` + map[bool]string{true: `,"field":"id"`, false: ""}[code == "node_not_found"] + `}}],"data":{"` + field + `":null}}`
	}
	vars := map[string]any{"id": ka, "c": ca}
	e.gql(b, `query($id: ID!) { contact(id: $id) { id } }`, vars).expect(t, 200, nf("contact", "contact_not_found"))
	e.gql(b, `query($id: ID!) { node(id: $id) { id } }`, vars).expect(t, 200, nf("node", "node_not_found"))
	e.gql(b, `mutation($id: ID!) { updateContact(id: $id, input: {name: "pwned"}) { contact { id } } }`, vars).expect(t, 200, nf("updateContact", "contact_not_found"))
	e.gql(b, `mutation($id: ID!) { updateContact(id: $id, input: {isPrimary: true}) { contact { id } } }`, vars).expect(t, 200, nf("updateContact", "contact_not_found"))
	e.gql(b, `mutation($id: ID!) { deleteContact(id: $id) { deletedId } }`, vars).expect(t, 200, nf("deleteContact", "contact_not_found"))
	e.gql(b, `mutation($c: ID!) { createContact(customerId: $c, input: {name: "x", email: "x@beta.example"}) { contact { id } } }`, vars).expect(t, 200, nf("createContact", "customer_not_found"))
	e.gql(b, `query($c: ID!) { customer(id: $c) { contacts { nodes { id } } primaryContact { id } } }`, vars).expect(t, 200,
		`{"errors":[{"message":"No such customer.","path":["customer"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"customer_not_found"}}],"data":{"customer":null}}`)

	// Alpha is untouched.
	e.gql(a, `query($id: ID!) { contact(id: $id) { name isPrimary customer { name } } }`, vars).expect(t, 200,
		`{"data":{"contact":{"name":"Alpha Person","isPrimary":true,"customer":{"name":"Alpha Co"}}}}`)
}

// addContact, the former name of createContact, still works for existing
// clients (with its own input and payload types) and says it is deprecated.
func TestAddContactIsADeprecatedAlias(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	cust := e.newCustomer(key, "Aurora")
	e.gql(key, `mutation($c: ID!, $in: AddContactInput!) { addContact(customerId: $c, input: $in) { contact { name email customerId } } }`,
		map[string]any{"c": cust, "in": map[string]any{"name": "Maya", "email": "maya@aurora.example"}}).expect(t, 200,
		`{"data":{"addContact":{"contact":{"name":"Maya","email":"maya@aurora.example","customerId":"`+cust+`"}}}}`)
	e.gql(key, `mutation($c: ID!) { addContact(customerId: $c, input: {name: "Dup", email: "MAYA@aurora.example"}) { contact { id } } }`,
		map[string]any{"c": cust}).expect(t, 200, `{"errors":[{"message":"A contact with email \"maya@aurora.example\" already exists for this customer.",
		"path":["addContact"],"locations":"$any","extensions":{"code":"CONFLICT","errorCode":"email_taken","field":"email"}}],"data":{"addContact":null}}`)
	body := string(e.gql(key, `{ __type(name: "Mutation") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }`, nil).Body)
	for _, want := range []string{`{"name":"createContact","isDeprecated":false,"deprecationReason":null}`,
		`{"name":"addContact","isDeprecated":true,"deprecationReason":"Use createContact: the same mutation, named like the other create mutations."}`} {
		if !strings.Contains(body, want) {
			t.Errorf("introspection lacks %s:\n%s", want, body)
		}
	}
}
