// Package metrics holds the server's Prometheus metrics in one registry served
// on the operator listener (PIVOTAL_METRICS_ADDR), never on the API port.
// Other packages record into the exported collectors or through the observer
// functions whose signatures match httpmw.Observer and db.Observer, so that
// neither of those packages depends on Prometheus.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is what /metrics serves: the collectors below plus the Go runtime
// and process collectors.
var Registry = prometheus.NewRegistry()

var (
	// HTTPRequests counts finished requests by route pattern, method and status.
	HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pivotal_http_requests_total",
		Help: "HTTP requests served, by route pattern, method and status.",
	}, []string{"route", "method", "status"})

	// HTTPDuration is request latency by route pattern, method and status.
	HTTPDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pivotal_http_request_duration_seconds",
		Help:    "HTTP request latency, by route pattern, method and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method", "status"})

	// SQLStatements counts statements sent to PostgreSQL by outcome (ok, error).
	SQLStatements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pivotal_sql_statements_total",
		Help: "SQL statements run (including BEGIN, COMMIT and ROLLBACK), by outcome.",
	}, []string{"outcome"})

	// SQLDuration is the time each statement took, as seen by the client.
	SQLDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "pivotal_sql_statement_duration_seconds",
		Help:    "SQL statement latency as seen by the server.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
	})

	// LoaderBatchSize is how many keys each batched loader fetch carried.
	LoaderBatchSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pivotal_loader_batch_size",
		Help:    "Keys per batched loader fetch, by loader.",
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
	}, []string{"loader"})

	// RateLimitRejections counts requests refused with 429 by the rate limiter.
	RateLimitRejections = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pivotal_rate_limit_rejections_total",
		Help: "Requests refused by the rate limiter (429).",
	})

	// IdempotentReplays counts responses replayed for a repeated Idempotency-Key.
	IdempotentReplays = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pivotal_idempotent_replays_total",
		Help: "Responses replayed from the idempotency store instead of re-executing the request.",
	})

	// RateLimitFailOpen counts requests let through unmetered because the
	// rate-limit store (Redis) failed.
	RateLimitFailOpen = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pivotal_rate_limit_fail_open_total",
		Help: "Requests let through unmetered because the rate-limit store failed.",
	})
)

// Webhook deliveries (package webhooks reports through its Hooks).
var (
	// WebhookDeliveries counts delivery attempts by outcome (success, failure).
	WebhookDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pivotal_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by outcome (success, failure).",
	}, []string{"outcome"})

	// WebhookAttemptDuration is the latency of delivery attempts.
	WebhookAttemptDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "pivotal_webhook_attempt_duration_seconds",
		Help:    "Webhook delivery attempt latency, request sent to response read.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})

	// WebhookPending is the number of messages waiting for delivery.
	WebhookPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pivotal_webhook_messages_pending",
		Help: "Webhook messages pending delivery (due or waiting for a retry).",
	})

	// WebhookOldestPending is the age of the oldest pending message.
	WebhookOldestPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pivotal_webhook_oldest_pending_age_seconds",
		Help: "Age of the oldest webhook message pending delivery (0: none).",
	})
)

// ObserveWebhookAttempt records one delivery attempt.
func ObserveWebhookAttempt(outcome string, d time.Duration) {
	WebhookDeliveries.WithLabelValues(outcome).Inc()
	WebhookAttemptDuration.Observe(d.Seconds())
}

// ObserveWebhookPending records the pending messages and the oldest's age.
func ObserveWebhookPending(n int64, oldest time.Duration) {
	WebhookPending.Set(float64(n))
	WebhookOldestPending.Set(oldest.Seconds())
}

func init() {
	Registry.MustRegister(HTTPRequests, HTTPDuration, SQLStatements, SQLDuration, LoaderBatchSize,
		RateLimitRejections, IdempotentReplays, RateLimitFailOpen,
		WebhookDeliveries, WebhookAttemptDuration, WebhookPending, WebhookOldestPending,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// ObserveHTTP records one finished request (an httpmw.Observer).
func ObserveHTTP(r *http.Request, route string, status int, d time.Duration) {
	s := strconv.Itoa(status)
	HTTPRequests.WithLabelValues(route, r.Method, s).Inc()
	HTTPDuration.WithLabelValues(route, r.Method, s).Observe(d.Seconds())
}

// ObserveSQL records one statement (a db.Observer).
func ObserveSQL(_ context.Context, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	SQLStatements.WithLabelValues(outcome).Inc()
	SQLDuration.Observe(d.Seconds())
}

// ObserveBatch records the size of one loader fetch. name is the loader's
// registry name; only its leading identifier is a label, because the rest
// carries per-request arguments that would explode the label's cardinality.
func ObserveBatch(name string, keys int) {
	LoaderBatchSize.WithLabelValues(loaderLabel(name)).Observe(float64(keys))
}

func loaderLabel(name string) string {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return name[:i]
		}
	}
	return name
}

// RegisterDB adds the pool statistics of db (open, in use, idle connections,
// waits) under the given database name. Call it once per pool.
//
// It returns the function that stops exporting them (when the pool closes), so
// that a process may open a pool again, as the tests do.
func RegisterDB(db *sql.DB, name string) (unregister func(), err error) {
	c := collectors.NewDBStatsCollector(db, name)
	if err := Registry.Register(c); err != nil {
		return nil, err
	}
	return func() { Registry.Unregister(c) }, nil
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}
