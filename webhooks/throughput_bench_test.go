package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"pivotal/db"
	"pivotal/db/dbtest"
)

// BenchmarkDispatcherThroughput delivers b.N messages (written beforehand, as
// the outbox writes them) to a local receiver answering 204, with serve's
// settings: 32 workers on a pool of 4 connections. It reports deliveries per
// second, from the dispatcher's start to the last message recorded as
// succeeded.
func BenchmarkDispatcherThroughput(b *testing.B) {
	dsn := dbtest.NewDatabase(b)
	store, err := db.Open(dsn, db.Options{MaxOpenConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	w, err := db.EnsureWorkspace(ctx, store, "bench", "Bench")
	if err != nil {
		b.Fatal(err)
	}
	var hits atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	if err := db.InsertWebhookEndpoint(ctx, store, &db.WebhookEndpoint{WorkspaceID: w.ID, ID: db.NewPublicID("ep_"),
		URL: rc.URL, Secret: NewSecret()}); err != nil {
		b.Fatal(err)
	}
	for done := 0; done < b.N; {
		n := min(500, b.N-done)
		evs := make([]db.NewEvent, n)
		for i := range evs {
			id := db.NewPublicID("evt_")
			evs[i] = db.NewEvent{ID: id, Type: "customer.created", Payload: []byte(`{"id":"` + id + `","type":"customer.created"}`)}
		}
		if err := db.InsertEvents(ctx, store, w.ID, true, time.Now(), evs); err != nil {
			b.Fatal(err)
		}
		done += n
	}
	d := &Dispatcher{DB: store, AllowPrivate: true}
	runCtx, stop := context.WithCancel(ctx)
	finished := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	go func() { defer close(finished); d.Run(runCtx, context.Background()) }()
	for {
		var left int
		if err := store.GetContext(ctx, &left, `SELECT count(*) FROM webhook_messages WHERE status <> 'succeeded'`); err != nil {
			b.Fatal(err)
		}
		if left == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	<-finished
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(hits.Load())/float64(b.N), "requests/delivery")
}
