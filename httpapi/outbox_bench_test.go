package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"pivotal/db"
	"pivotal/rest"
)

// BenchmarkPostCustomer is POST /api/v1/customers in-process: without the
// outbox (as before events: no renderer, so no event is written), with it,
// and with it and one live endpoint subscribed (a webhook message per write).
// The variants take turns request by request, each on a database of its own,
// so that the load of a shared machine falls on all of them alike. It reports
// each variant's median and 90th percentile latency and SQL statements.
func BenchmarkPostCustomer(b *testing.B) {
	type variant struct {
		name  string
		h     http.Handler
		key   string
		lat   []time.Duration
		stmts int64
	}
	var vs []*variant
	for _, name := range []string{"no-outbox", "outbox", "outbox+endpoint"} {
		e := newEnv(b)
		v := &variant{name: name, h: e.srv.Config.Handler, key: e.key("bench-post", "unlimited")}
		switch name {
		case "no-outbox":
			e.res.Resource = nil
		case "outbox":
			e.res.Resource = rest.Resource
		case "outbox+endpoint":
			e.res.Resource = rest.Resource
			ws, err := db.FindWorkspaceBySlug(context.Background(), e.store, "bench-post")
			if err != nil {
				b.Fatal(err)
			}
			if err := db.InsertWebhookEndpoint(context.Background(), e.store, &db.WebhookEndpoint{WorkspaceID: ws.ID,
				ID: db.NewPublicID("ep_"), URL: "https://hooks.example.com/", Secret: "whsec_AAAA"}); err != nil {
				b.Fatal(err)
			}
		}
		for i := 0; i < 20; i++ { // warm the pool and the key cache
			serveCounting(b, v.h, v.key, "POST", "/api/v1/customers", fmt.Sprintf(`{"name":"Warm %d"}`, i))
		}
		vs = append(vs, v)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, v := range vs {
			start := time.Now()
			r, n := serveCounting(b, v.h, v.key, "POST", "/api/v1/customers", fmt.Sprintf(`{"name":"Bench %d"}`, i))
			v.lat = append(v.lat, time.Since(start))
			if r.Status != 201 {
				b.Fatalf("%s: %d %s", v.name, r.Status, r.Body)
			}
			v.stmts += n
		}
	}
	b.StopTimer()
	for _, v := range vs {
		sort.Slice(v.lat, func(i, j int) bool { return v.lat[i] < v.lat[j] })
		b.ReportMetric(float64(v.lat[len(v.lat)/2].Microseconds())/1000, v.name+"-p50-ms")
		b.ReportMetric(float64(v.lat[len(v.lat)*9/10].Microseconds())/1000, v.name+"-p90-ms")
		b.ReportMetric(float64(v.stmts)/float64(b.N), v.name+"-sql/op")
	}
}
