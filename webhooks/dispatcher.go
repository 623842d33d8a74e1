package webhooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"pivotal/db"
)

// Defaults of the contract.
const (
	DefaultTimeout = 10 * time.Second
	// MaxConsecutiveFailures disables an endpoint.
	MaxConsecutiveFailures = 100
	// responseExcerpt is how much of a response body is read and recorded.
	responseExcerpt = 1024
	// UserAgent is sent with every delivery.
	UserAgent = "pivotal-webhooks/1"
)

// Hooks let the server observe deliveries (metrics) without this package
// knowing how they are recorded. Nil hooks are skipped.
type Hooks struct {
	// Attempt is told of every finished attempt: outcome is "success" or
	// "failure", d the request's duration.
	Attempt func(outcome string, d time.Duration)
	// Pending is told, now and then, how many messages are pending and the
	// age of the oldest.
	Pending func(n int64, oldest time.Duration)
}

// Dispatcher claims due messages and delivers them. Its database pool should
// be its own (a few connections): deliveries hold no connection while they
// wait for a receiver, and the API's pool is never drawn on.
type Dispatcher struct {
	DB  *db.DB
	Log *slog.Logger
	// AllowPrivate lets deliveries reach private, loopback and link-local
	// addresses (operators' own networks, tests).
	AllowPrivate bool
	// Timeout bounds each attempt (default DefaultTimeout). A claim's lease
	// is twice that, so a delivery is retried only when its claimer died.
	Timeout time.Duration
	// TimeScale divides the retry schedule (tests run 24 h in seconds); 0 or 1: real time.
	TimeScale int
	// Workers is how many deliveries run at once (default 32).
	Workers int
	// Poll is how long the dispatcher waits when nothing is due (default 100 ms).
	Poll  time.Duration
	Hooks Hooks

	client *http.Client
}

func (d *Dispatcher) defaults() {
	if d.Timeout <= 0 {
		d.Timeout = DefaultTimeout
	}
	if d.Workers <= 0 {
		d.Workers = 32
	}
	if d.Poll <= 0 {
		d.Poll = 100 * time.Millisecond
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	dialer := &net.Dialer{Timeout: d.Timeout, Control: dialControl(d.AllowPrivate)}
	d.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would dial for us, past the address check
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   d.Timeout,
			ResponseHeaderTimeout: d.Timeout,
			MaxIdleConnsPerHost:   d.Workers,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		// Redirects are not followed: a 3xx is the receiver's answer (a failure).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Run delivers until ctx ends, then stops claiming and waits for the
// deliveries under way; cut ends them (shutdown's grace is over), and each is
// released to be delivered again at once, by this or another instance.
func (d *Dispatcher) Run(ctx, cut context.Context) {
	d.defaults()
	var wg sync.WaitGroup
	slots := make(chan struct{}, d.Workers)
	freed := make(chan struct{}, 1)
	token := db.NewPublicID("lease_")
	statsEvery := time.NewTicker(5 * time.Second)
	defer statsEvery.Stop()
	d.reportPending(ctx)
	for ctx.Err() == nil {
		free := d.Workers - len(slots)
		var claimed []db.Delivery
		if free > 0 {
			var err error
			claimed, err = db.ClaimDeliveries(ctx, d.DB, free, 2*d.Timeout, token)
			if err != nil && ctx.Err() == nil {
				d.Log.Warn("webhooks: claiming deliveries", "err", err.Error())
			}
		}
		for i := range claimed {
			slots <- struct{}{}
			wg.Add(1)
			go func(dl *db.Delivery) {
				defer func() {
					<-slots
					select {
					case freed <- struct{}{}:
					default:
					}
					wg.Done()
				}()
				d.attempt(cut, dl, token)
			}(&claimed[i])
		}
		if len(claimed) > 0 && len(claimed) == free && len(slots) < d.Workers {
			continue // more may be due
		}
		poll := d.Poll
		if len(slots) == d.Workers {
			poll = time.Hour // every worker busy: wait for one to finish
		}
		select {
		case <-ctx.Done():
		case <-freed:
		case <-time.After(poll):
		case <-statsEvery.C:
			d.reportPending(ctx)
		}
	}
	wg.Wait()
}

func (d *Dispatcher) reportPending(ctx context.Context) {
	if d.Hooks.Pending == nil {
		return
	}
	n, age, err := db.PendingStats(ctx, d.DB)
	if err == nil {
		d.Hooks.Pending(n, age)
	}
}

// attempt delivers one claimed message and records the outcome.
func (d *Dispatcher) attempt(cut context.Context, dl *db.Delivery, token string) {
	started := time.Now()
	r := d.send(cut, dl)
	if cut.Err() != nil {
		// Shutdown cut the attempt short: not the receiver's failure.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(cut), 2*time.Second)
		defer cancel()
		if err := db.ReleaseDelivery(rctx, d.DB, dl, token); err != nil {
			d.Log.Warn("webhooks: releasing a delivery at shutdown; it is retried when its lease expires",
				"message", dl.MessageID, "err", err.Error())
		}
		return
	}
	n := dl.Attempts + 1
	r.Status = "succeeded"
	if !r.OK {
		if at, ok := nextAttempt(n, dl.FirstAttemptAt, dl.Now.Add(time.Since(started)), d.TimeScale); ok {
			r.Status, r.NextAttemptAt = "pending", at
		} else {
			r.Status = "failed"
		}
	}
	if r.NextAttemptAt.IsZero() {
		r.NextAttemptAt = dl.Now
	}
	outcome := "success"
	if !r.OK {
		outcome = "failure"
	}
	if d.Hooks.Attempt != nil {
		d.Hooks.Attempt(outcome, r.Duration)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	disabled, err := db.RecordAttempt(ctx, d.DB, dl, token, r, MaxConsecutiveFailures)
	if err != nil {
		d.Log.Error("webhooks: recording an attempt; the message is retried when its lease expires",
			"message", dl.MessageID, "err", err.Error())
		return
	}
	if disabled && !r.OK {
		if err := db.FailPendingMessages(ctx, d.DB, dl.WorkspaceID, dl.EndpointID); err != nil {
			d.Log.Error("webhooks: failing the messages of a disabled endpoint", "endpoint", dl.EndpointID, "err", err.Error())
		}
	}
}

// send makes one signed request and reads at most responseExcerpt bytes of
// the answer.
func (d *Dispatcher) send(cut context.Context, dl *db.Delivery) db.AttemptResult {
	now := time.Now()
	r := db.AttemptResult{AttemptedAt: now}
	fail := func(err error) db.AttemptResult {
		msg := err.Error()
		r.Error = &msg
		r.Duration = time.Since(now)
		return r
	}
	secrets := []string{dl.Secret}
	if dl.PreviousSecret != nil && dl.PreviousExpiresAt != nil && dl.PreviousExpiresAt.After(dl.Now) {
		secrets = append(secrets, *dl.PreviousSecret)
	}
	ts := now.Unix()
	sig, err := SignatureHeader(secrets, dl.MessageID, ts, dl.Payload)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(cut, d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		return fail(errors.New("invalid endpoint url"))
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fail(errors.New("endpoint url is not http or https"))
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h["svix-id"] = []string{dl.MessageID}
	h["svix-timestamp"] = []string{strconv.FormatInt(ts, 10)}
	h["svix-signature"] = []string{sig}
	resp, err := d.client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, responseExcerpt))
	r.Duration = time.Since(now)
	code := resp.StatusCode
	r.StatusCode = &code
	excerpt := validUTF8(body)
	r.Response = &excerpt
	if err != nil {
		msg := "reading the response: " + err.Error()
		r.Error = &msg
	}
	r.OK = code >= 200 && code < 300 && ctx.Err() == nil
	if !r.OK && ctx.Err() != nil && r.Error == nil {
		msg := "timeout after " + d.Timeout.String()
		r.Error = &msg
	}
	return r
}

// validUTF8 keeps an excerpt storable as text: a cut multi-byte character
// at the end, or bytes that are not UTF-8, become U+FFFD.
func validUTF8(b []byte) string {
	b = bytes.ReplaceAll(b, []byte{0}, nil)
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
