package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"pivotal/db"
	"pivotal/httpapi"
	"pivotal/live"
	"pivotal/localpg"
	"pivotal/metrics"
	"pivotal/ratelimit"
	"pivotal/resolvers"
	"pivotal/rest"
	"pivotal/webhooks"
)

// Garbage-collector defaults for serving. The server keeps little alive
// (tens of MB), so collecting at every 4× growth instead of 2× cuts the GC's
// CPU by more than a third on large responses (BenchmarkQ2 with GOGC=400: 1.25
// against 2.04 ms of CPU per request), and a soft limit keeps the process
// well under 150 MB. An operator's GOGC or GOMEMLIMIT wins.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 120 << 20
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}

func serveCommand(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	var c config
	fs := newFlagSet("serve", "[FLAGS]",
		"Serves the GraphQL API (/graphql), the Pivotal REST v1 routes (/api/v1), GraphiQL\n"+
			"(/graphiql) and the health checks. The default command. SIGTERM or SIGINT drains\n"+
			"in-flight requests, then stops.", stdout)
	serveFlags(fs, &c)
	databaseFlags(fs, &c)
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	if err := c.checkServe(); err != nil {
		return fs.usageError("%v", err)
	}
	tuneGC()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	limiter, closeLimiter, err := newLimiter(ctx, c.RedisURL, log)
	if err != nil {
		return err
	}
	defer closeLimiter()
	return serve(ctx, c, limiter, stdout, log)
}

// serve listens at once and brings the database up in the background: until it
// is reachable and migrated the API answers 503 (httpapi.Gate), so orchestrators
// see a live process and clients a clear, retryable answer. When ctx ends it
// stops accepting, lets in-flight requests finish within the grace period, then
// closes the pool and, last, stops the embedded PostgreSQL.
func serve(ctx context.Context, c config, limiter *ratelimit.Limiter, stdout io.Writer, log *slog.Logger) error {
	gate := httpapi.NewGate(log, metrics.ObserveHTTP)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	servers := []*http.Server{newHTTPServer(ctx, c.HTTP, gate)}
	errc := make(chan error, 2)
	go func() { errc <- servers[0].Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "graphiql", "http://"+ln.Addr().String()+"/graphiql")
	if c.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			servers[0].Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		msrv := newHTTPServer(ctx, c.HTTP, mux)
		servers = append(servers, msrv)
		go func() { errc <- msrv.Serve(mln) }()
		log.Info("metrics listening", "addr", mln.Addr().String(), "path", "/metrics")
	}

	bootCtx, cancelBoot := context.WithCancel(ctx)
	defer cancelBoot()
	be := backend{stdout: stdout, addr: ln.Addr()}
	bootDone := make(chan error, 1)
	go func() { bootDone <- be.boot(bootCtx, c, limiter, log, gate) }()

	var fault error
	booting := true
wait:
	for {
		select {
		case err := <-errc:
			fault = err
			break wait
		case err := <-bootDone:
			booting = false
			if err != nil {
				fault = err
				break wait
			}
		case <-ctx.Done():
			break wait
		}
	}
	if ctx.Err() != nil && fault == nil && c.ShutdownDrain > 0 {
		// Lame duck first: readiness fails and kept-alive connections close
		// after their next answer, while the listener still accepts.
		log.Info("draining: readiness answers 503, connections close after each answer", "drain", c.ShutdownDrain.String())
		gate.Drain()
		time.Sleep(c.ShutdownDrain)
	}
	log.Info("shutting down: no new connections; in-flight requests may finish", "grace", c.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownGrace)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			fault = errors.Join(fault, fmt.Errorf("shutdown: %w", err))
			srv.Close()
		}
	}
	// Only now may the database go: no request is left that could use it.
	cancelBoot()
	if booting {
		<-bootDone
	}
	if be.stopLive != nil {
		// WebSocket connections outlive http.Server.Shutdown: the hub closes
		// them (1001, going away).
		be.stopLive()
	}
	if be.stopWebhooks != nil {
		be.stopWebhooks(sctx)
	}
	be.close(log)
	if fault == nil {
		log.Info("stopped cleanly")
	}
	return fault
}

func newHTTPServer(ctx context.Context, l httpLimits, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		// A signal must not cancel the requests being drained.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// backend is what boot brought up; close releases it in reverse order.
type backend struct {
	// stdout is where --demo prints its key; addr is where the server
	// listens (the key goes in the GraphiQL page only on a loopback address).
	stdout  io.Writer
	addr    net.Addr
	cluster *localpg.Cluster
	store   *db.DB
	// stopJanitor ends the idempotency-key cleanup and waits for it.
	stopJanitor func()
	// unregisterDB stops exporting the pool's statistics.
	unregisterDB func()
	// stopWebhooks stops claiming deliveries and waits for those under way
	// until grace ends, then cuts them short (they are released for retry).
	stopWebhooks func(grace context.Context)
	stopLive     func()
}

// boot starts the embedded cluster (if no URL), waits for the database with
// backoff as long as it takes, migrates, and opens the gate. Only a failure
// that waiting cannot cure (no PostgreSQL binaries, a bad URL, a failing
// migration) is returned.
func (b *backend) boot(ctx context.Context, c config, limiter *ratelimit.Limiter, log *slog.Logger, gate *httpapi.Gate) error {
	url, cluster, err := databaseURL(ctx, c, log)
	if err != nil {
		return err
	}
	b.cluster = cluster
	store, err := db.Open(url, db.Options{StatementTimeout: c.StatementTimeout, Observe: metrics.ObserveSQL})
	if err != nil {
		return err
	}
	b.store = store
	unregister, err := metrics.RegisterDB(store.DB.DB, "pivotal")
	if err != nil {
		return err
	}
	b.unregisterDB = unregister
	for {
		if err := waitForDatabase(ctx, store, log, 0); err != nil {
			return err
		}
		err := db.Migrate(ctx, store.DB.DB)
		if err == nil {
			break
		}
		if db.KindOf(err) != db.Unavailable {
			return fmt.Errorf("migrating: %w", err)
		}
		log.Warn("database lost while migrating; retrying", "err", err.Error())
	}
	res := resolvers.New(store, log)
	res.Hooks.IdempotentReplay = metrics.IdempotentReplays.Inc
	res.Hooks.LoaderBatch = metrics.ObserveBatch
	res.Resource, res.ReadResource = rest.Resource, rest.ReadResource
	res.MaxAPIKeys = c.MaxAPIKeys
	res.Webhooks.AllowPrivate = c.Webhooks.AllowPrivate || c.Demo
	var uiHeaders map[string]string
	if c.Demo {
		if uiHeaders, err = startDemo(ctx, res, c.DataDir, c.Addr, b.addr, b.stdout, log); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	janitorCtx, cancelJanitor := context.WithCancel(context.WithoutCancel(ctx))
	janitorDone := make(chan struct{})
	go func() {
		defer close(janitorDone)
		res.RunIdempotencyJanitor(janitorCtx, 10*time.Minute)
	}()
	b.stopJanitor = func() { cancelJanitor(); <-janitorDone }
	if err := b.startWebhooks(ctx, c, url, log); err != nil {
		return err
	}
	if err := b.startLive(ctx, c, url, res, log); err != nil {
		return err
	}
	gate.Ready(httpapi.New(res, log, httpapi.Options{GraphiQLHeaders: uiHeaders,
		Observe: metrics.ObserveHTTP, RequestTimeout: c.RequestTimeout,
		Limiter: limiter, CORSOrigins: splitList(c.CORSOrigins), MaxComplexity: c.MaxComplexity}))
	log.Info("database ready; serving the API")
	return nil
}

// startWebhooks runs the dispatcher and the retention job on a small pool of
// their own, so that deliveries never take connections from the API.
func (b *backend) startWebhooks(ctx context.Context, c config, url string, log *slog.Logger) error {
	pool, err := db.Open(url, db.Options{MaxOpenConns: 4, Observe: metrics.ObserveSQL})
	if err != nil {
		return err
	}
	d := &webhooks.Dispatcher{DB: pool, Log: log, AllowPrivate: c.Webhooks.AllowPrivate || c.Demo,
		Timeout: c.Webhooks.Timeout, TimeScale: c.Webhooks.TimeScale,
		Hooks: webhooks.Hooks{Attempt: metrics.ObserveWebhookAttempt, Pending: metrics.ObserveWebhookPending}}
	runCtx, stopRun := context.WithCancel(ctx)
	cut, cutShort := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); webhooks.RunRetention(runCtx, pool, log, time.Hour) }()
		d.Run(runCtx, cut)
		wg.Wait()
	}()
	b.stopWebhooks = func(grace context.Context) {
		stopRun()
		select {
		case <-done:
		case <-grace.Done():
			cutShort()
			<-done
		}
		cutShort()
		pool.Close()
	}
	return nil
}

// startLive runs the instance's subscription hub: one LISTEN connection, and
// reads through the API pool. It returns once the hub listens.
func (b *backend) startLive(ctx context.Context, c config, url string, res *resolvers.Resolver, log *slog.Logger) error {
	hub := live.New(url, b.store.DB, log, live.Options{MaxPerKey: c.SubscriptionsPerKey})
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	errc := make(chan error, 1)
	go func() { errc <- hub.Run(runCtx) }()
	select {
	case <-hub.Ready():
	case err := <-errc:
		stop()
		return fmt.Errorf("subscriptions: %w", err)
	case <-ctx.Done():
		stop()
		<-errc
		return ctx.Err()
	}
	res.Live = hub
	b.stopLive = func() { stop(); <-errc }
	return nil
}

func (b *backend) close(log *slog.Logger) {
	if b.stopJanitor != nil {
		b.stopJanitor()
	}
	if b.unregisterDB != nil {
		b.unregisterDB()
	}
	if b.store != nil {
		if err := b.store.Close(); err != nil {
			log.Error("closing the database pool", "err", err)
		}
	}
	if b.cluster != nil {
		if err := b.cluster.Stop(); err != nil {
			log.Error("stopping embedded PostgreSQL", "err", err)
		}
	}
}

// newLimiter returns the rate limiter: windows in Redis when url is set, so
// that instances share one budget, in memory otherwise. An unreachable Redis
// is not fatal: the limiter fails open until it comes back.
func newLimiter(ctx context.Context, url string, log *slog.Logger) (*ratelimit.Limiter, func(), error) {
	if url == "" {
		log.Info("rate limits kept in memory (set REDIS_URL to share them between instances)")
		return metered(ratelimit.NewLimiter(ratelimit.NewMemory(), log)), func() {}, nil
	}
	r, err := ratelimit.NewRedis(url)
	if err != nil {
		return nil, nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := r.Ping(pctx); err != nil {
		log.Warn("Redis unreachable; rate limits fail open until it answers", "err", err.Error())
	} else {
		log.Info("rate limits kept in Redis")
	}
	return metered(ratelimit.NewLimiter(r, log)), func() { r.Close() }, nil
}

// metered counts the limiter's refusals and failures in the metrics.
func metered(l *ratelimit.Limiter) *ratelimit.Limiter {
	l.OnReject = metrics.RateLimitRejections.Inc
	l.OnFailOpen = metrics.RateLimitFailOpen.Inc
	return l
}
