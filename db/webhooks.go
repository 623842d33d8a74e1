package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// WebhookEndpoint is a row of webhook_endpoints. Secret and PreviousSecret
// sign deliveries; they never leave the server but once, when made.
type WebhookEndpoint struct {
	WorkspaceID         string         `db:"workspace_id"`
	ID                  string         `db:"id"`
	URL                 string         `db:"url"`
	Description         string         `db:"description"`
	EventTypes          pq.StringArray `db:"event_types"`
	TestMode            bool           `db:"test_mode"`
	Disabled            bool           `db:"disabled"`
	Secret              string         `db:"secret"`
	PreviousSecret      *string        `db:"previous_secret"`
	PreviousExpiresAt   *time.Time     `db:"previous_expires_at"`
	ConsecutiveFailures int            `db:"consecutive_failures"`
	CreatedAt           time.Time      `db:"created_at"`
	UpdatedAt           time.Time      `db:"updated_at"`
}

const endpointColumns = `workspace_id, id, url, description, event_types, test_mode, disabled, secret,
	previous_secret, previous_expires_at, consecutive_failures, created_at, updated_at`

// InsertWebhookEndpoint stores ep, filling CreatedAt and UpdatedAt.
func InsertWebhookEndpoint(ctx context.Context, q Queryer, ep *WebhookEndpoint) error {
	if ep.EventTypes == nil {
		ep.EventTypes = pq.StringArray{}
	}
	err := q.GetContext(ctx, ep, `INSERT INTO webhook_endpoints (workspace_id, id, url, description, event_types, test_mode, secret)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+endpointColumns,
		ep.WorkspaceID, ep.ID, ep.URL, ep.Description, ep.EventTypes, ep.TestMode, ep.Secret)
	return classify(err)
}

// EndpointFilter selects a workspace's endpoints; TestOnly keeps test-mode ones.
type EndpointFilter struct {
	TestOnly bool
	// AfterID, when set, keeps endpoints whose id sorts after it.
	AfterID string
	Limit   int
}

// FindWebhookEndpoint returns the workspace's endpoint id, or ErrNotFound;
// forUpdate locks it.
func FindWebhookEndpoint(ctx context.Context, q Queryer, workspaceID, id string, forUpdate bool) (*WebhookEndpoint, error) {
	query := `SELECT ` + endpointColumns + ` FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var ep WebhookEndpoint
	err := q.GetContext(ctx, &ep, query, workspaceID, id)
	return &ep, classify(err)
}

// FindWebhookEndpoints lists endpoints by id, at most Limit+1.
func FindWebhookEndpoints(ctx context.Context, q Queryer, workspaceID string, f EndpointFilter) ([]WebhookEndpoint, error) {
	var b where
	b.add("workspace_id = ?", workspaceID)
	if f.TestOnly {
		b.add("test_mode")
	}
	if f.AfterID != "" {
		b.add("id > ?", f.AfterID)
	}
	eps := make([]WebhookEndpoint, 0, f.Limit+1)
	err := q.SelectContext(ctx, &eps, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE `+b.sql()+
		fmt.Sprintf(` ORDER BY id LIMIT %d`, f.Limit+1), b.args...)
	return eps, classify(err)
}

// UpdateWebhookEndpoint writes url, description, event types and disabled.
// Enabling an endpoint clears its failure count.
func UpdateWebhookEndpoint(ctx context.Context, q Queryer, ep *WebhookEndpoint) error {
	err := q.GetContext(ctx, ep, `UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5,
		consecutive_failures = CASE WHEN disabled AND NOT $6 THEN 0 ELSE consecutive_failures END,
		disabled = $6, updated_at = clock_timestamp()
		WHERE workspace_id = $1 AND id = $2 RETURNING `+endpointColumns,
		ep.WorkspaceID, ep.ID, ep.URL, ep.Description, ep.EventTypes, ep.Disabled)
	return classify(err)
}

// RotateWebhookSecret makes secret the endpoint's signing secret; the current
// one keeps signing until overlap has passed.
func RotateWebhookSecret(ctx context.Context, q Queryer, workspaceID, id, secret string, overlap time.Duration) (*WebhookEndpoint, error) {
	var ep WebhookEndpoint
	err := q.GetContext(ctx, &ep, `UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
		previous_expires_at = clock_timestamp() + $4 * interval '1 microsecond', updated_at = clock_timestamp()
		WHERE workspace_id = $1 AND id = $2 RETURNING `+endpointColumns,
		workspaceID, id, secret, overlap.Microseconds())
	return &ep, classify(err)
}

// DeleteWebhookEndpoint removes an endpoint with its messages and attempts.
// It reports whether there was one.
func DeleteWebhookEndpoint(ctx context.Context, q Queryer, workspaceID, id string) (bool, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2`, workspaceID, id)
	if err != nil {
		return false, classify(err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// WebhookMessage is a row of webhook_messages.
type WebhookMessage struct {
	WorkspaceID    string     `db:"workspace_id"`
	ID             string     `db:"id"`
	EndpointID     string     `db:"endpoint_id"`
	EventID        string     `db:"event_id"`
	Status         string     `db:"status"`
	Attempts       int        `db:"attempts"`
	NextAttemptAt  time.Time  `db:"next_attempt_at"`
	FirstAttemptAt *time.Time `db:"first_attempt_at"`
	CreatedAt      time.Time  `db:"created_at"`
	// EventType is the event's type ("" once the event has expired).
	EventType string `db:"event_type"`
}

const messageColumns = `m.workspace_id, m.id, m.endpoint_id, m.event_id, m.status, m.attempts, m.next_attempt_at,
	m.first_attempt_at, m.created_at, coalesce((SELECT e.type FROM events e WHERE e.workspace_id = m.workspace_id AND e.id = m.event_id), '') AS event_type`

// MessageFilter selects an endpoint's messages, newest first.
type MessageFilter struct {
	EndpointID string
	Status     *string
	// AfterID, when set, keeps the messages listed after that one.
	AfterID string
	Limit   int
}

// FindWebhookMessages lists messages, at most Limit+1.
func FindWebhookMessages(ctx context.Context, q Queryer, workspaceID string, f MessageFilter) ([]WebhookMessage, error) {
	var b where
	b.add("m.workspace_id = ?", workspaceID)
	b.add("m.endpoint_id = ?", f.EndpointID)
	if f.Status != nil {
		b.add("m.status = ?", *f.Status)
	}
	if f.AfterID != "" {
		b.add(`(m.created_at, m.id) < (SELECT a.created_at, a.id FROM webhook_messages a
			WHERE a.workspace_id = m.workspace_id AND a.id = ?)`, f.AfterID)
	}
	ms := make([]WebhookMessage, 0, f.Limit+1)
	err := q.SelectContext(ctx, &ms, `SELECT `+messageColumns+` FROM webhook_messages m WHERE `+b.sql()+
		fmt.Sprintf(` ORDER BY m.created_at DESC, m.id DESC LIMIT %d`, f.Limit+1), b.args...)
	return ms, classify(err)
}

// FindWebhookMessage returns the workspace's message id, or ErrNotFound.
func FindWebhookMessage(ctx context.Context, q Queryer, workspaceID, id string) (*WebhookMessage, error) {
	var m WebhookMessage
	err := q.GetContext(ctx, &m, `SELECT `+messageColumns+` FROM webhook_messages m WHERE m.workspace_id = $1 AND m.id = $2`, workspaceID, id)
	return &m, classify(err)
}

// ReplayWebhookMessage makes a message due now, as a new attempt of the same
// message (same id, same event).
func ReplayWebhookMessage(ctx context.Context, q Queryer, workspaceID, id string) (*WebhookMessage, error) {
	var m WebhookMessage
	err := q.GetContext(ctx, &m, `UPDATE webhook_messages m SET status = 'pending', next_attempt_at = clock_timestamp(),
		lease_token = NULL, updated_at = clock_timestamp()
		WHERE m.workspace_id = $1 AND m.id = $2 RETURNING `+messageColumns, workspaceID, id)
	return &m, classify(err)
}

// WebhookAttempt is a row of webhook_attempts.
type WebhookAttempt struct {
	WorkspaceID string    `db:"workspace_id"`
	ID          int64     `db:"id"`
	MessageID   string    `db:"message_id"`
	EndpointID  string    `db:"endpoint_id"`
	AttemptedAt time.Time `db:"attempted_at"`
	StatusCode  *int      `db:"status_code"`
	DurationMS  float64   `db:"duration_ms"`
	Response    *string   `db:"response"`
	Error       *string   `db:"error"`
}

// FindWebhookAttempts returns the attempts of the given messages, oldest first.
func FindWebhookAttempts(ctx context.Context, q Queryer, workspaceID string, messageIDs []string) ([]WebhookAttempt, error) {
	var as []WebhookAttempt
	err := q.SelectContext(ctx, &as, `SELECT workspace_id, id, message_id, endpoint_id, attempted_at, status_code,
		duration_ms, response, error FROM webhook_attempts WHERE workspace_id = $1 AND message_id = ANY($2) ORDER BY id`,
		workspaceID, pq.Array(messageIDs))
	return as, classify(err)
}

// Delivery is a claimed message with what it takes to deliver it.
type Delivery struct {
	WorkspaceID       string     `db:"workspace_id"`
	MessageID         string     `db:"id"`
	EndpointID        string     `db:"endpoint_id"`
	EventID           string     `db:"event_id"`
	Attempts          int        `db:"attempts"`
	FirstAttemptAt    time.Time  `db:"first_attempt_at"`
	URL               string     `db:"url"`
	Secret            string     `db:"secret"`
	PreviousSecret    *string    `db:"previous_secret"`
	PreviousExpiresAt *time.Time `db:"previous_expires_at"`
	Payload           []byte     `db:"payload"`
	Now               time.Time  `db:"now"`
}

// ClaimDeliveries takes up to limit due messages of enabled endpoints, oldest
// due first, skipping those another instance is claiming, and leases them:
// they are not due again until lease has passed, so a claim that dies with
// its process is retried then. token names this claim.
func ClaimDeliveries(ctx context.Context, q Queryer, limit int, lease time.Duration, token string) ([]Delivery, error) {
	var ds []Delivery
	// Prepared once per connection: every dispatcher polls with it (every
	// 100 ms when idle), and PostgreSQL planned the unprepared statement at
	// each call.
	if s, err := prepared(ctx, q, claimDeliveries); err != nil {
		return nil, err
	} else if s != nil {
		err := s.SelectContext(ctx, &ds, limit, lease.Microseconds(), token)
		return ds, classify(err)
	}
	err := q.SelectContext(ctx, &ds, claimDeliveries, limit, lease.Microseconds(), token)
	return ds, classify(err)
}

const claimDeliveries = `UPDATE webhook_messages m SET
		next_attempt_at = clock_timestamp() + $2 * interval '1 microsecond', lease_token = $3,
		first_attempt_at = coalesce(m.first_attempt_at, clock_timestamp()), updated_at = clock_timestamp()
		FROM (
			SELECT d.workspace_id, d.id FROM webhook_messages d
			JOIN webhook_endpoints w ON w.workspace_id = d.workspace_id AND w.id = d.endpoint_id AND NOT w.disabled
			WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
			ORDER BY d.next_attempt_at LIMIT $1
			FOR UPDATE OF d SKIP LOCKED
		) c, webhook_endpoints w, events e
		WHERE m.workspace_id = c.workspace_id AND m.id = c.id
			AND w.workspace_id = m.workspace_id AND w.id = m.endpoint_id
			AND e.workspace_id = m.workspace_id AND e.id = m.event_id
		RETURNING m.workspace_id, m.id, m.endpoint_id, m.event_id, m.attempts, m.first_attempt_at,
			w.url, w.secret, w.previous_secret, w.previous_expires_at, e.payload, clock_timestamp() AS now`

// AttemptResult is the outcome of one delivery attempt.
type AttemptResult struct {
	AttemptedAt time.Time
	StatusCode  *int
	Duration    time.Duration
	Response    *string
	Error       *string
	OK          bool
	// Status is the message's new status; NextAttemptAt applies to pending.
	Status        string
	NextAttemptAt time.Time
}

// RecordAttempt stores an attempt, moves its message on (only if token still
// holds the message's lease: a takeover's outcome wins) and counts the
// endpoint's consecutive failures, disabling it at maxFailures; one
// statement. It reports whether the endpoint is (now) disabled.
func RecordAttempt(ctx context.Context, q Queryer, d *Delivery, token string, r AttemptResult, maxFailures int) (bool, error) {
	var disabled bool
	err := q.GetContext(ctx, &disabled, `WITH a AS (
		INSERT INTO webhook_attempts (workspace_id, message_id, endpoint_id, attempted_at, status_code, duration_ms, response, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
	), m AS (
		UPDATE webhook_messages SET status = $9, next_attempt_at = $10, attempts = attempts + 1,
			lease_token = NULL, updated_at = clock_timestamp()
		WHERE workspace_id = $1 AND id = $2 AND lease_token = $11
	)
	UPDATE webhook_endpoints SET
		consecutive_failures = CASE WHEN $12 THEN 0 ELSE consecutive_failures + 1 END,
		disabled = disabled OR (NOT $12 AND consecutive_failures + 1 >= $13)
	WHERE workspace_id = $1 AND id = $3 RETURNING disabled`,
		d.WorkspaceID, d.MessageID, d.EndpointID, r.AttemptedAt, r.StatusCode, float64(r.Duration.Microseconds())/1000,
		r.Response, r.Error, r.Status, r.NextAttemptAt, token, r.OK, maxFailures)
	var pe *pq.Error
	if err == nil || classify(err) == ErrNotFound || errors.As(err, &pe) && pe.Code == "23503" {
		// The endpoint (and with it the message) was deleted meanwhile:
		// there is nothing left to record.
		return disabled, nil
	}
	return false, classify(err)
}

// FailPendingMessages marks the pending messages of a disabled endpoint failed.
func FailPendingMessages(ctx context.Context, q Queryer, workspaceID, endpointID string) error {
	_, err := q.ExecContext(ctx, `UPDATE webhook_messages SET status = 'failed', lease_token = NULL, updated_at = clock_timestamp()
		WHERE workspace_id = $1 AND endpoint_id = $2 AND status = 'pending'`, workspaceID, endpointID)
	return classify(err)
}

// ReleaseDelivery makes a claimed message due now again (a delivery cut short
// by shutdown), if token still holds its lease.
func ReleaseDelivery(ctx context.Context, q Queryer, d *Delivery, token string) error {
	_, err := q.ExecContext(ctx, `UPDATE webhook_messages SET next_attempt_at = clock_timestamp(), lease_token = NULL
		WHERE workspace_id = $1 AND id = $2 AND lease_token = $3`, d.WorkspaceID, d.MessageID, token)
	return classify(err)
}

// PendingStats returns how many messages are pending and the age of the
// oldest of them (0 when none), by the database's clock.
func PendingStats(ctx context.Context, q Queryer) (int64, time.Duration, error) {
	var s struct {
		N   int64   `db:"n"`
		Age float64 `db:"age"`
	}
	err := q.GetContext(ctx, &s, `SELECT count(*) AS n,
		coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS age
		FROM webhook_messages WHERE status = 'pending'`)
	return s.N, time.Duration(s.Age * float64(time.Second)), classify(err)
}
