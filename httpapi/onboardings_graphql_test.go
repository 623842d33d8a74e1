package httpapi

import (
	"fmt"
	"strings"
	"testing"
)

const onboardingFieldsGQL = `id displayId customerId name templateId phase state waitingOnCustomer startedAt
	completedAt targetLaunchDate csmId seId designerId productOpsId notes remindersEnabled
	reminderFrequencyDays createdAt updatedAt`

func TestOnboardingGraphQLMutations(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme", "Ops bot")
	cid := e.newCustomer(key, "Aurora")

	create := `mutation($in: CreateOnboardingInput!) { createOnboarding(input: $in) { onboarding { ` + onboardingFieldsGQL + ` } } }`
	r := e.gql(key, create, map[string]any{"in": map[string]any{"customerId": "1", "phase": "REVIEW",
		"waitingOnCustomer": true, "targetLaunchDate": "2026-07-15", "notes": "n", "reminderFrequencyDays": 3}})
	r.expect(t, 200, `{"data":{"createOnboarding":{"onboarding":{"id":"$cuid","displayId":1,"customerId":"`+cid+`",
		"name":"Aurora onboarding","templateId":null,"phase":"REVIEW","state":"WAITING","waitingOnCustomer":true,
		"startedAt":"$time","completedAt":null,"targetLaunchDate":"2026-07-15T00:00:00.000000Z","csmId":null,"seId":null,
		"designerId":null,"productOpsId":null,"notes":"n","remindersEnabled":true,"reminderFrequencyDays":3,
		"createdAt":"$time","updatedAt":"$time"}}}}`)
	id := r.json(t)["data"].(map[string]any)["createOnboarding"].(map[string]any)["onboarding"].(map[string]any)["id"].(string)

	// The same rules and codes as REST, with the field in camelCase.
	gqlErr := func(path, code, errorCode, field, msg string) string {
		f := ""
		if field != "" {
			f = fmt.Sprintf(`,"field":%q`, field)
		}
		return fmt.Sprintf(`{"errors":[{"message":%q,"path":[%q],"locations":"$any","extensions":{"code":%q,"errorCode":%q%s}}],"data":{%q:null}}`,
			msg, path, code, errorCode, f, path)
	}
	bad := []struct {
		in                        map[string]any
		errorCode, field, message string
	}{
		{map[string]any{"customerId": cid, "reminderFrequencyDays": 0}, "too_small", "reminderFrequencyDays", "reminder_frequency_days must be at least 1"},
		{map[string]any{"customerId": cid, "name": ""}, "too_small", "name", "name must not be empty"},
		{map[string]any{"customerId": cid, "notes": strings.Repeat("x", 10001)}, "too_big", "notes", "notes must be at most 10000 characters"},
		{map[string]any{"customerId": cid, "targetLaunchDate": "soon"}, "invalid_string", "targetLaunchDate", "target_launch_date must be an ISO date (YYYY-MM-DD) or an ISO 8601 datetime"},
		{map[string]any{"customerId": cid, "state": "PAUSED", "waitingOnCustomer": true}, "conflicting_fields", "waitingOnCustomer", "waiting_on_customer contradicts state: waiting_on_customer is true exactly when state is waiting"},
	}
	for _, b := range bad {
		e.gql(key, `mutation($in: CreateOnboardingInput!) { createOnboarding(input: $in) { onboarding { id } } }`,
			map[string]any{"in": b.in}).expect(t, 200, gqlErr("createOnboarding", "BAD_USER_INPUT", b.errorCode, b.field, b.message))
	}
	e.gql(key, `mutation { createOnboarding(input: {customerId: "99"}) { onboarding { id } } }`, nil).expect(t, 200,
		gqlErr("createOnboarding", "NOT_FOUND", "customer_not_found", "", "No such customer."))

	update := `mutation($id: ID!, $in: UpdateOnboardingInput!) { updateOnboarding(id: $id, input: $in) { onboarding { phase state waitingOnCustomer completedAt notes timeline { from to actor } } } }`
	e.gql(key, update, map[string]any{"id": id, "in": map[string]any{"waitingOnCustomer": false, "phase": "COMPLETED", "notes": nil}}).expect(t, 200,
		`{"data":{"updateOnboarding":{"onboarding":{"phase":"COMPLETED","state":"ACTIVE","waitingOnCustomer":false,
		"completedAt":"$time","notes":null,"timeline":[{"from":"REVIEW","to":"COMPLETED","actor":"API: Ops bot"},
		{"from":null,"to":"REVIEW","actor":"API: Ops bot"}]}}}}`)
	for _, field := range []string{"name", "phase", "state", "waitingOnCustomer", "remindersEnabled", "reminderFrequencyDays"} {
		rest := map[string]string{"waitingOnCustomer": "waiting_on_customer", "remindersEnabled": "reminders_enabled",
			"reminderFrequencyDays": "reminder_frequency_days"}[field]
		if rest == "" {
			rest = field
		}
		want := map[string]string{"waitingOnCustomer": "a boolean", "remindersEnabled": "a boolean", "reminderFrequencyDays": "an integer"}[field]
		if want == "" {
			want = "a string"
		}
		e.gql(key, update, map[string]any{"id": id, "in": map[string]any{field: nil}}).expect(t, 200,
			gqlErr("updateOnboarding", "BAD_USER_INPUT", "invalid_type", field, rest+" must be "+want))
	}
	e.gql(key, update, map[string]any{"id": "nope", "in": map[string]any{}}).expect(t, 200,
		gqlErr("updateOnboarding", "NOT_FOUND", "onboarding_not_found", "", "No such onboarding."))

	del := `mutation($id: ID!) { deleteOnboarding(id: $id) { deletedId displayId } }`
	want := `{"data":{"deleteOnboarding":{"deletedId":"` + id + `","displayId":1}}}`
	e.gql(key, del, map[string]any{"id": id}).expect(t, 200, want)
	e.gql(key, del, map[string]any{"id": "1"}).expect(t, 200, want)
	e.gql(key, `{ onboarding(id: "1") { id } }`, nil).expect(t, 200,
		`{"errors":[{"message":"No such onboarding.","path":["onboarding"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"onboarding_not_found"}}],"data":{"onboarding":null}}`)
	e.gql(key, update, map[string]any{"id": id, "in": map[string]any{"name": "x"}}).expect(t, 200,
		gqlErr("updateOnboarding", "NOT_FOUND", "onboarding_not_found", "", "No such onboarding."))
	// Another workspace cannot delete, update or create against A's objects.
	other := e.key("other")
	live := e.newOnboarding(key, cid, "")
	e.gql(other, del, map[string]any{"id": live}).expect(t, 200,
		gqlErr("deleteOnboarding", "NOT_FOUND", "onboarding_not_found", "", "No such onboarding."))
	e.gql(other, update, map[string]any{"id": live, "in": map[string]any{"name": "x"}}).expect(t, 200,
		gqlErr("updateOnboarding", "NOT_FOUND", "onboarding_not_found", "", "No such onboarding."))
	e.gql(other, `mutation($c: ID!) { createOnboarding(input: {customerId: $c}) { onboarding { id } } }`, map[string]any{"c": cid}).expect(t, 200,
		gqlErr("createOnboarding", "NOT_FOUND", "customer_not_found", "", "No such customer."))
	e.do("GET", "/api/v1/onboardings/"+live, key, "").expect(t, 200, onboardingJSON(2, cid, nil))
}

func TestOnboardingGraphQLQueries(t *testing.T) {
	e := newEnv(t)
	key := e.key("acme")
	a, b := e.newCustomer(key, "A"), e.newCustomer(key, "B")
	for i, c := range []struct{ cid, extra string }{{a, `"phase":"review"`}, {a, `"state":"waiting"`}, {b, `"phase":"review"`}, {b, ""}} {
		e.newOnboarding(key, c.cid, fmt.Sprintf(`"name":"o%d",%s`, i+1, strings.TrimPrefix(c.extra+`,"notes":"x"`, ",")))
	}

	e.gql(key, `{ onboarding(id: "3") { displayId name customer { id name } } }`, nil).expect(t, 200,
		`{"data":{"onboarding":{"displayId":3,"name":"o3","customer":{"id":"`+b+`","name":"B"}}}}`)
	names := func(r response, path ...string) string {
		t.Helper()
		v := any(r.json(t)["data"])
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		var out []string
		for _, n := range v.(map[string]any)["nodes"].([]any) {
			out = append(out, n.(map[string]any)["name"].(string))
		}
		return strings.Join(out, " ")
	}
	cases := []struct{ args, want string }{
		{``, "o4 o3 o2 o1"},
		{`(filter: {customerId: "1"})`, "o2 o1"},
		{`(filter: {customerId: "` + b + `", phase: REVIEW})`, "o3"},
		{`(filter: {state: WAITING})`, "o2"},
		{`(filter: {phase: REVIEW, state: ACTIVE})`, "o3 o1"},
		{`(first: 2)`, "o4 o3"},
	}
	for _, c := range cases {
		r := e.gql(key, `{ onboardings`+c.args+` { nodes { name } } }`, nil)
		r.expect(t, 200, "")
		if got := names(r, "onboardings"); got != c.want {
			t.Errorf("onboardings%s = %q, want %q", c.args, got, c.want)
		}
	}
	// Walking with after.
	page := e.gql(key, `{ onboardings(first: 3) { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil)
	page.expect(t, 200, `{"data":{"onboardings":{"edges":[{"cursor":"$any"},{"cursor":"$any"},{"cursor":"$any"}],
		"pageInfo":{"hasNextPage":true,"hasPreviousPage":false,"startCursor":"$any","endCursor":"$any"}}}}`)
	end := page.json(t)["data"].(map[string]any)["onboardings"].(map[string]any)["pageInfo"].(map[string]any)["endCursor"].(string)
	e.gql(key, `query($a: String) { onboardings(first: 3, after: $a) { nodes { name } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"a": end}).expect(t, 200, `{"data":{"onboardings":{"nodes":[{"name":"o1"}],"pageInfo":{"hasNextPage":false,"endCursor":"$any"}}}}`)

	listErr := func(query, code, errorCode, field, msg string) {
		t.Helper()
		f := ""
		if field != "" {
			f = fmt.Sprintf(`,"field":%q`, field)
		}
		e.gql(key, query, nil).expect(t, 200, fmt.Sprintf(`{"errors":[{"message":%q,"path":["onboardings"],"locations":"$any","extensions":{"code":%q,"errorCode":%q%s}}],"data":null}`,
			msg, code, errorCode, f))
	}
	listErr(`{ onboardings(filter: {customerId: "99"}) { nodes { id } } }`, "NOT_FOUND", "customer_not_found", "", "No such customer.")
	listErr(`{ onboardings(first: 0) { nodes { id } } }`, "BAD_USER_INPUT", "too_small", "first", "first must be at least 1")
	listErr(`{ onboardings(first: 101) { nodes { id } } }`, "BAD_USER_INPUT", "too_big", "first", "first must be at most 100")
	listErr(`{ onboardings(after: "garbage") { nodes { id } } }`, "BAD_USER_INPUT", "invalid_string", "after", "after is not a valid cursor")

	// Nested: a customer's onboardings with filter and paging, each with its customer and timeline.
	r := e.gql(key, `{ customer(id: "1") { onboardings(first: 1, filter: {phase: REVIEW}) { nodes { name customer { name } timeline { to } } pageInfo { hasNextPage } }
		all: onboardings { nodes { name } } } }`, nil)
	r.expect(t, 200, `{"data":{"customer":{"onboardings":{"nodes":[{"name":"o1","customer":{"name":"A"},"timeline":[{"to":"REVIEW"}]}],
		"pageInfo":{"hasNextPage":false}},"all":{"nodes":[{"name":"o2"},{"name":"o1"}]}}}}`)
	e.gql(key, `{ customer(id: "1") { onboardings(first: 1) { nodes { name } pageInfo { hasNextPage endCursor } } } }`, nil).expect(t, 200,
		`{"data":{"customer":{"onboardings":{"nodes":[{"name":"o2"}],"pageInfo":{"hasNextPage":true,"endCursor":"$any"}}}}}`)
	nested := e.gql(key, `{ customer(id: "1") { onboardings(first: 1) { pageInfo { endCursor } } } }`, nil).json(t)
	after := nested["data"].(map[string]any)["customer"].(map[string]any)["onboardings"].(map[string]any)["pageInfo"].(map[string]any)["endCursor"]
	e.gql(key, `query($a: String) { customer(id: "1") { onboardings(first: 1, after: $a) { nodes { name } pageInfo { hasNextPage } } } }`,
		map[string]any{"a": after}).expect(t, 200, `{"data":{"customer":{"onboardings":{"nodes":[{"name":"o1"}],"pageInfo":{"hasNextPage":false}}}}}`)
	e.gql(key, `{ customer(id: "1") { onboardings(first: 0) { nodes { name } } } }`, nil).expect(t, 200,
		`{"errors":[{"message":"first must be at least 1","path":["customer","onboardings"],"locations":"$any","extensions":{"code":"BAD_USER_INPUT","errorCode":"too_small","field":"first"}}],
		"data":{"customer":{"onboardings":null}}}`)

	// node resolves onboardings by cuid only.
	oid := e.do("GET", "/api/v1/onboardings/1", key, "").str(t, "id")
	e.gql(key, `query($id: ID!) { node(id: $id) { __typename id ... on Onboarding { name } } }`, map[string]any{"id": oid}).expect(t, 200,
		`{"data":{"node":{"__typename":"Onboarding","id":"`+oid+`","name":"o1"}}}`)
	nodeNF := func(key, id string) {
		t.Helper()
		e.gql(key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).expect(t, 200,
			`{"errors":[{"message":"Could not resolve to a node with the id \"`+id+`\".","path":["node"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"node_not_found","field":"id"}}],"data":{"node":null}}`)
	}
	nodeNF(key, "1")
	other := e.key("other")
	nodeNF(other, oid)
	e.gql(other, `query($id: ID!) { onboarding(id: $id) { id } }`, map[string]any{"id": oid}).expect(t, 200,
		`{"errors":[{"message":"No such onboarding.","path":["onboarding"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"onboarding_not_found"}}],"data":{"onboarding":null}}`)
	e.gql(other, `query($c: ID!) { onboardings(filter: {customerId: $c}) { nodes { id } } }`, map[string]any{"c": a}).expect(t, 200,
		`{"errors":[{"message":"No such customer.","path":["onboardings"],"locations":"$any","extensions":{"code":"NOT_FOUND","errorCode":"customer_not_found"}}],"data":null}`)
	e.gql(other, `{ onboardings { nodes { id } } }`, nil).expect(t, 200, `{"data":{"onboardings":{"nodes":[]}}}`)
	e.do("DELETE", "/api/v1/onboardings/"+oid, key, "").expect(t, 200, "")
	nodeNF(key, oid)
	e.gql("", `{ onboardings { nodes { id } } }`, nil).expect(t, 401,
		`{"errors":[{"message":"$any","extensions":{"code":"UNAUTHENTICATED","errorCode":"missing_api_key"}}]}`)
}
