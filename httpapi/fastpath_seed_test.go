package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// fpSeed is the data set of the fast-path tests: two workspaces, and every
// cuid created in each (deleted objects included), to look for leaks.
type fpSeed struct {
	key, otherKey     string
	mainIDs, otherIDs []string
}

// fpCustomers are the first workspace's customers, as raw REST bodies so that
// escapes, number spellings and key orders reach the server as written
// (Delta's metadata also holds the raw separators U+2028 and U+2029). The
// last four: three are deleted (a reused slug among them), the fourth reuses it.
var fpCustomers = []string{
	`{"name":"Aurora Labs","status":"onboarding","domain":"Aurora.EXAMPLE","plan":"enterprise","mrr":129900,"monthly_orders":0,
	  "hubspot_company_id":"hs-1","hubspot_deal_id":"deal-1","stripe_customer_id":"cus_1","intercom_company_id":"ic-1","slack_channel_id":"C01",
	  "metadata":{"tier":"gold","nested":{"list":[1,2,{"b":null}],"empty":{},"t":true},"z":false,"aa":"x","":"empty key"}}`,
	`{"name":"Zo\u00eb \u2013 \u6771\u4eac \"quoted\" \\ back\nslash","slug":"zoe-tokyo","status":"at_risk",
	  "metadata":{"note":"Zo\u00eb \u2013 \u6771\u4eac \"q\" \\ \n\t\u0001 \ud83d\ude80","html":"<b>&amp;</b>","seps":"\u2028\u2029\u007f","\u6771":"key"}}`,
	`{"name":"Control\u0001\u0008\u000c\u001f\u007f chars\ttab\r\nend","status":"churned","plan":"","mrr":null,"hubspot_deal_id":"<&>"}`,
	`{"name":"Birch & Co <html>","status":"archived","domain":"birch.example",
	  "metadata":{"num":1.50,"big":12345678901234567890,"exp":1e3,"neg":-0.25,"int":42,"arr":[],"s":"","nul":null,"tiny":1.0e-7}}`,
	`{"name":"Cedar","mrr":2147483647}`, // the most an Int holds
	`{"name":"Acme","slug":"acme","status":"active","mrr":0,"monthly_orders":1000000}`,
	`{"name":"Delta","status":"onboarding","metadata":{"k":{"k":{"k":{"k":"deep","arr":[[1],[2,[3]]]}}},"url":"http:\/\/x.example\/<a>","sep":"` + "\u2028 \u2029" + `"}}`,
	`{"name":"Echo","status":"at_risk","plan":"starter","mrr":4900}`,
	`{"name":"Foxtrot \u6771\u4eac","status":"active","slack_channel_id":"C\u00e9"}`,
	`{"name":"Golf","status":"churned","domain":null}`,
	`{"name":"Hotel","status":"active","domain":"hotel.example","intercom_company_id":"ic-\"h\""}`,
	`{"name":"India","status":"onboarding","metadata":{}}`,
	`{"name":"Juliet (deleted)","status":"active"}`,
	`{"name":"Kilo (deleted)","status":"at_risk"}`,
	`{"name":"Lima","status":"active","metadata":{"old":true}}`,
	`{"name":"Lima","status":"onboarding","metadata":{"new":true}}`,
}

var (
	fpContactsPer    = []int{6, 3, 0, 1, 2, 4, 0, 5, 1, 0, 3, 2, 2, 1, 1, 2}
	fpOnboardingsPer = []int{4, 2, 1, 0, 3, 1, 0, 2, 0, 1, 4, 1, 2, 2, 1, 1}
	fpNames          = []string{"Maya Chen", "Zoë – 東京 \"quoted\" \\ back\nslash", "Luis", "tab\there\u0001", "<script>&amp;", "Ω 🚀 \u2028\u2029"}
	fpTitles         = []any{nil, "Head of Ops", "CTO \"the\" 東京"}
	fpLabels         = [][]string{{}, {"vip"}, {"billing", "Décideuse", "東京 label"}, {strings.Repeat("é", 64)},
		strings.Split("a b c d e f g h i j k l m n o p q r s t", " ")}
	fpPhases = []string{"before_getting_started", "program_design", "review", "program_buildout", "internal_qa", "launch", "completed"}
	fpStates = []string{"active", "paused", "at_risk", "waiting"}
)

// fpCall sends a REST request with body marshalled from v (a string is sent
// as is) and returns the decoded answer.
func (e *env) fpCall(key, method, path string, v any, status int) map[string]any {
	e.t.Helper()
	body, ok := v.(string)
	if !ok && v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			e.t.Fatal(err)
		}
		body = string(b)
	}
	r := e.do(method, path, key, body)
	r.expect(e.t, status, "")
	return r.json(e.t)
}

// seedFastPath builds the data set: see fpCustomers and the comments below.
func (e *env) seedFastPath() fpSeed {
	e.t.Helper()
	s := fpSeed{key: e.key("fp-main"), otherKey: e.key("fp-other")}
	var custs [][]string // per customer: its cuid, then its contacts' and its onboardings'
	for i, body := range fpCustomers {
		if i == len(fpCustomers)-1 {
			e.fpCall(s.key, "DELETE", "/api/v1/customers/"+custs[14][0], nil, 200)
		}
		cid := e.fpCall(s.key, "POST", "/api/v1/customers", body, 201)["id"].(string)
		s.mainIDs = append(s.mainIDs, cid)
		ids := []string{cid}
		for j := 0; j < fpContactsPer[i]; j++ {
			c := map[string]any{
				"name":  fpNames[(i+j)%len(fpNames)],
				"email": fmt.Sprintf("P%d.Person+%d@C%d.Example", j, i, i),
				"title": fpTitles[j%len(fpTitles)], "labels": fpLabels[(i+j)%len(fpLabels)],
				"is_primary": j == 1 && (i%2 == 0 || i == 5),
			}
			id := e.fpCall(s.key, "POST", "/api/v1/customers/"+cid+"/contacts", c, 201)["id"].(string)
			ids = append(ids, id)
		}
		for k := 0; k < fpOnboardingsPer[i]; k++ {
			o := map[string]any{"customer_id": cid, "phase": fpPhases[(i+k)%7], "state": fpStates[(2*i+k)%4]}
			switch k % 3 {
			case 0:
				o["target_launch_date"] = "2026-07-15"
			case 1:
				o["target_launch_date"] = "2026-08-01T12:30:00.123456Z"
			}
			if k%2 == 0 {
				o["name"] = fmt.Sprintf("Rollout %d – 東京 \"%d\"", i, k)
			} else {
				o["notes"] = "Notes: Zoë – 東京 \"q\" \\ \n line2\u0001"
				o["template_id"] = fmt.Sprintf("tpl-%d", k)
			}
			if i%3 == 0 {
				o["csm_id"], o["se_id"], o["designer_id"], o["product_ops_id"] = "csm-1", "se-1", "des-1", "ops-1"
			}
			if k == 1 {
				o["reminders_enabled"] = false
			}
			if k == 2 {
				o["reminder_frequency_days"] = 7
			}
			id := e.fpCall(s.key, "POST", "/api/v1/onboardings", o, 201)["id"].(string)
			ids = append(ids, id)
		}
		s.mainIDs = append(s.mainIDs, ids[1:]...)
		custs = append(custs, ids)
	}
	contact := func(i, j int) string { return custs[i][1+j] }
	onboarding := func(i, k int) string { return custs[i][1+fpContactsPer[i]+k] }
	patch := func(path, body string) { e.fpCall(s.key, "PATCH", path, body, 200) }

	// Timelines of several entries; completed sets completedAt, leaving it clears it.
	for _, p := range []string{"program_design", "review", "completed"} {
		patch("/api/v1/onboardings/"+onboarding(0, 0), `{"phase":"`+p+`"}`)
	}
	patch("/api/v1/onboardings/"+onboarding(0, 2), `{"phase":"completed"}`)
	patch("/api/v1/onboardings/"+onboarding(0, 2), `{"phase":"launch","state":"waiting"}`)
	patch("/api/v1/onboardings/"+onboarding(10, 0), `{"phase":"internal_qa","state":"paused","target_launch_date":null}`)
	patch("/api/v1/onboardings/"+onboarding(10, 1), `{"waiting_on_customer":true,"notes":null}`)
	patch("/api/v1/onboardings/"+onboarding(4, 1), `{"waiting_on_customer":false}`)
	e.fpCall(s.key, "DELETE", "/api/v1/onboardings/"+onboarding(0, 3), nil, 200)
	e.fpCall(s.key, "DELETE", "/api/v1/onboardings/"+onboarding(10, 2), nil, 200)

	// Acme's primary moves to another contact; Echo's primary is deleted (no
	// primary left); a contact and a customer change.
	patch("/api/v1/contacts/"+contact(5, 3), `{"is_primary":true}`)
	patch("/api/v1/contacts/"+contact(7, 0), `{"is_primary":true}`)
	e.fpCall(s.key, "DELETE", "/api/v1/contacts/"+contact(7, 0), nil, 200)
	e.fpCall(s.key, "DELETE", "/api/v1/contacts/"+contact(0, 3), nil, 200)
	patch("/api/v1/contacts/"+contact(0, 2), `{"name":"Renamed Zoë","labels":["x"],"title":null}`)
	patch("/api/v1/customers/"+custs[7][0], `{"status":"active","metadata":{"patched":[true,null,"s"]}}`)
	for _, i := range []int{12, 13} {
		e.fpCall(s.key, "DELETE", "/api/v1/customers/"+custs[i][0], nil, 200)
	}

	// The other workspace: a customer with the same slug as one above;
	// onboardings all waiting, one of them completed.
	for i, body := range []string{`{"name":"Acme","slug":"acme","status":"at_risk"}`, `{"name":"Other Zoë","status":"onboarding"}`} {
		cid := e.fpCall(s.otherKey, "POST", "/api/v1/customers", body, 201)["id"].(string)
		s.otherIDs = append(s.otherIDs, cid)
		for j := 0; j <= 1-i; j++ {
			c := map[string]any{"name": fmt.Sprintf("Other %d", j), "email": fmt.Sprintf("o%d@other.example", j), "is_primary": j == 0}
			s.otherIDs = append(s.otherIDs, e.fpCall(s.otherKey, "POST", "/api/v1/customers/"+cid+"/contacts", c, 201)["id"].(string))
			o := map[string]any{"customer_id": cid, "state": "waiting", "phase": fpPhases[5+j]}
			s.otherIDs = append(s.otherIDs, e.fpCall(s.otherKey, "POST", "/api/v1/onboardings", o, 201)["id"].(string))
		}
	}
	return s
}
