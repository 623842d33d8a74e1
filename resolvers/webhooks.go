package resolvers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/webhooks"
)

// WebhookOptions are the operator's settings for endpoints.
type WebhookOptions struct {
	// AllowPrivate accepts loopback, private and link-local target URLs.
	AllowPrivate bool
}

// EventTypes is the catalogue of event types, in the contract's order.
var EventTypes = []string{
	"customer.created", "customer.updated", "customer.at_risk", "customer.churned", "customer.archived", "customer.deleted",
	"contact.created", "contact.updated", "contact.deleted",
	"onboarding.created", "onboarding.updated", "onboarding.phase_changed", "onboarding.state_changed",
	"onboarding.at_risk", "onboarding.back_on_track", "onboarding.launched", "onboarding.completed", "onboarding.deleted",
	"webhook.ping",
}

// Bounds of endpoint fields.
const (
	maxURL         = 2048
	maxDescription = 500
	maxEventTypes  = 50
	// secretOverlap is how long a rotated-out secret keeps signing.
	secretOverlap = 24 * time.Hour
)

func toEndpoint(ep *db.WebhookEndpoint) *model.WebhookEndpoint {
	types := []string(ep.EventTypes)
	if types == nil {
		types = []string{}
	}
	return &model.WebhookEndpoint{ID: ep.ID, URL: ep.URL, Description: ep.Description, EventTypes: types,
		TestMode: ep.TestMode, Disabled: ep.Disabled, ConsecutiveFailures: ep.ConsecutiveFailures,
		CreatedAt: gqltypes.Time(ep.CreatedAt), UpdatedAt: gqltypes.Time(ep.UpdatedAt)}
}

func toMessage(m *db.WebhookMessage, attempts []db.WebhookAttempt) *model.WebhookMessage {
	out := &model.WebhookMessage{ID: m.ID, EndpointID: m.EndpointID, EventID: m.EventID, EventType: m.EventType,
		Status: model.WebhookMessageStatus(strings.ToUpper(m.Status)), CreatedAt: gqltypes.Time(m.CreatedAt),
		Attempts: make([]model.WebhookAttempt, 0, len(attempts))}
	if m.Status == "pending" {
		t := gqltypes.Time(m.NextAttemptAt)
		out.NextAttemptAt = &t
	}
	for _, a := range attempts {
		out.Attempts = append(out.Attempts, model.WebhookAttempt{AttemptedAt: gqltypes.Time(a.AttemptedAt),
			StatusCode: a.StatusCode, DurationMs: a.DurationMS, Response: a.Response, Error: a.Error})
	}
	return out
}

// findEndpoint returns the caller's endpoint id, or webhook_endpoint_not_found
// (also for another workspace's endpoint, and for a live endpoint asked for
// with a test key).
func findEndpoint(ctx context.Context, q db.Queryer, who *auth.Identity, id string, forUpdate bool) (*db.WebhookEndpoint, error) {
	ep, err := db.FindWebhookEndpoint(ctx, q, who.WorkspaceID, id, forUpdate)
	if err != nil {
		return nil, notFound(err, "webhook_endpoint")
	}
	if !who.Livemode && !ep.TestMode {
		return nil, apperr.NotFoundError("webhook_endpoint")
	}
	return ep, nil
}

// CreateWebhookEndpoint stores an endpoint with a new secret and sends it a
// webhook.ping. The secret is returned here only. Returns validation errors.
func (r *Resolver) CreateWebhookEndpoint(ctx context.Context, in model.CreateWebhookEndpointInput) (*model.CreateWebhookEndpointPayload, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	testMode := !who.Livemode
	if in.TestMode != nil {
		testMode = *in.TestMode
	}
	var v validation
	v.str("description", in.Description, 0, maxDescription)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkEventTypes(in.EventTypes); err != nil {
		return nil, err
	}
	if !who.Livemode && !testMode {
		return nil, &apperr.Error{Kind: apperr.Invalid, Code: "invalid_request", Field: "testMode",
			Message: "A test key can manage only test-mode endpoints."}
	}
	if err := r.checkEndpointURL(ctx, in.URL); err != nil {
		return nil, err
	}
	ep := db.WebhookEndpoint{WorkspaceID: who.WorkspaceID, ID: db.NewPublicID("ep_"), URL: in.URL,
		Description: derefOr(in.Description, ""), EventTypes: pq.StringArray(in.EventTypes), TestMode: testMode,
		Secret: webhooks.NewSecret()}
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, _ *Outbox) (*model.WebhookEndpoint, error) {
		if err := db.InsertWebhookEndpoint(ctx, tx, &ep); err != nil {
			return nil, err
		}
		_, err := r.ping(ctx, tx, who, &ep)
		return toEndpoint(&ep), err
	})
	if err != nil {
		return nil, invalidValue(err)
	}
	return &model.CreateWebhookEndpointPayload{Endpoint: out, Secret: ep.Secret}, nil
}

// ping writes a webhook.ping event for ep alone and returns its message id.
// Its data.object is the endpoint, without its secret.
func (r *Resolver) ping(ctx context.Context, tx *sqlx.Tx, who *auth.Identity, ep *db.WebhookEndpoint) (string, error) {
	obj, err := json.Marshal(struct {
		Object      string   `json:"object"`
		ID          string   `json:"id"`
		URL         string   `json:"url"`
		Description string   `json:"description"`
		EventTypes  []string `json:"event_types"`
		TestMode    bool     `json:"test_mode"`
		Disabled    bool     `json:"disabled"`
		CreatedAt   string   `json:"created_at"`
	}{"webhook_endpoint", ep.ID, ep.URL, ep.Description, toEndpoint(ep).EventTypes, ep.TestMode, ep.Disabled,
		gqltypes.FormatTime(ep.CreatedAt)})
	if err != nil {
		return "", err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := db.NewPublicID("evt_")
	payload, err := envelope(id, "webhook.ping", now, who.WorkspaceID, !ep.TestMode, obj, json.RawMessage("null"))
	if err != nil {
		return "", err
	}
	return db.InsertPing(ctx, tx, who.WorkspaceID, ep.ID, !ep.TestMode, now, db.NewEvent{ID: id, Type: "webhook.ping", Payload: payload})
}

// UpdateWebhookEndpoint changes the fields present in in. Enabling a disabled
// endpoint clears its failure count. Returns webhook_endpoint_not_found or
// validation errors.
func (r *Resolver) UpdateWebhookEndpoint(ctx context.Context, id string, in model.UpdateWebhookEndpointInput) (*model.WebhookEndpoint, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	var v validation
	notNull(&v, "url", "a string", in.URL)
	notNull(&v, "description", "a string", in.Description)
	notNull(&v, "disabled", "a boolean", in.Disabled)
	v.str("description", in.Description.Value(), 0, maxDescription)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkEventTypes(in.EventTypes.Value()); err != nil {
		return nil, err
	}
	if u := in.URL.Value(); u != nil {
		if err := r.checkEndpointURL(ctx, *u); err != nil {
			return nil, err
		}
	}
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, _ *Outbox) (*model.WebhookEndpoint, error) {
		ep, err := findEndpoint(ctx, tx, who, id, true)
		if err != nil {
			return nil, err
		}
		setIf(in.URL, &ep.URL)
		setIf(in.Description, &ep.Description)
		setIf(in.Disabled, &ep.Disabled)
		if t, ok := in.EventTypes.ValueOK(); ok {
			ep.EventTypes = pq.StringArray(t)
			if ep.EventTypes == nil {
				ep.EventTypes = pq.StringArray{}
			}
		}
		if err := db.UpdateWebhookEndpoint(ctx, tx, ep); err != nil {
			return nil, err
		}
		return toEndpoint(ep), nil
	})
	if err != nil {
		return nil, invalidValue(err)
	}
	return out, nil
}

// RotateWebhookSecret gives the endpoint a new secret, returned here only;
// the old one keeps signing for 24 hours. Returns webhook_endpoint_not_found.
func (r *Resolver) RotateWebhookSecret(ctx context.Context, id string) (*model.RotateWebhookSecretPayload, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	secret := webhooks.NewSecret()
	out, err := mutate(ctx, r, func(tx *sqlx.Tx, _ *Outbox) (*model.WebhookEndpoint, error) {
		if _, err := findEndpoint(ctx, tx, who, id, true); err != nil {
			return nil, err
		}
		ep, err := db.RotateWebhookSecret(ctx, tx, who.WorkspaceID, id, secret, secretOverlap)
		if err != nil {
			return nil, err
		}
		return toEndpoint(ep), nil
	})
	if err != nil {
		return nil, err
	}
	return &model.RotateWebhookSecretPayload{Endpoint: out, Secret: secret}, nil
}

// DeleteWebhookEndpoint removes an endpoint with its messages. Returns
// webhook_endpoint_not_found.
func (r *Resolver) DeleteWebhookEndpoint(ctx context.Context, id string) (string, error) {
	who, err := identity(ctx)
	if err != nil {
		return "", err
	}
	return mutate(ctx, r, func(tx *sqlx.Tx, _ *Outbox) (string, error) {
		if _, err := findEndpoint(ctx, tx, who, id, true); err != nil {
			return "", err
		}
		if _, err := db.DeleteWebhookEndpoint(ctx, tx, who.WorkspaceID, id); err != nil {
			return "", err
		}
		return id, nil
	})
}

// SendTestWebhook sends the endpoint a webhook.ping now. Returns
// webhook_endpoint_not_found.
func (r *Resolver) SendTestWebhook(ctx context.Context, id string) (*model.WebhookMessage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, r, func(tx *sqlx.Tx, _ *Outbox) (*model.WebhookMessage, error) {
		ep, err := findEndpoint(ctx, tx, who, id, false)
		if err != nil {
			return nil, err
		}
		msgID, err := r.ping(ctx, tx, who, ep)
		if err != nil {
			return nil, err
		}
		m, err := db.FindWebhookMessage(ctx, tx, who.WorkspaceID, msgID)
		if err != nil {
			return nil, err
		}
		return toMessage(m, nil), nil
	})
}

// ReplayWebhookMessage makes a message due now again: a new attempt of the
// same message. Returns webhook_message_not_found.
func (r *Resolver) ReplayWebhookMessage(ctx context.Context, id string) (*model.WebhookMessage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, r, func(tx *sqlx.Tx, _ *Outbox) (*model.WebhookMessage, error) {
		m, err := db.FindWebhookMessage(ctx, tx, who.WorkspaceID, id)
		if err != nil {
			return nil, notFound(err, "webhook_message")
		}
		if _, err := findEndpoint(ctx, tx, who, m.EndpointID, false); err != nil {
			return nil, apperr.NotFoundError("webhook_message")
		}
		if m, err = db.ReplayWebhookMessage(ctx, tx, who.WorkspaceID, id); err != nil {
			return nil, err
		}
		as, err := db.FindWebhookAttempts(ctx, tx, who.WorkspaceID, []string{id})
		if err != nil {
			return nil, err
		}
		return toMessage(m, as), nil
	})
}

// FindWebhookEndpoint returns the caller's endpoint, or
// webhook_endpoint_not_found.
func (r *Resolver) FindWebhookEndpoint(ctx context.Context, id string) (*model.WebhookEndpoint, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	ep, err := findEndpoint(ctx, r.DB, who, id, false)
	if err != nil {
		return nil, err
	}
	return toEndpoint(ep), nil
}

// Opaque cursors of the webhook lists: a kind letter and a key.
func listCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

func parseListCursor(kind string, after *string) (string, error) {
	if after == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*after)
	key, ok := strings.CutPrefix(string(b), kind+":")
	if err != nil || !ok || key == "" {
		return "", apperr.InvalidString("after", "after is not a valid cursor")
	}
	return key, nil
}

func pageSize(first *int) (int, error) {
	a, err := ListArgsFromGraphQL(first, nil, 20)
	return a.Limit, err
}

func listPageInfo(keys []string, hasMore bool, kind string) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: hasMore}
	if len(keys) > 0 {
		start, end := listCursor(kind, keys[0]), listCursor(kind, keys[len(keys)-1])
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// WebhookEndpoints lists the caller's endpoints by id (test keys: test-mode only).
func (r *Resolver) WebhookEndpoints(ctx context.Context, first *int, after *string) (*model.WebhookEndpointConnection, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	afterID, err := parseListCursor("ep", after)
	if err != nil {
		return nil, err
	}
	eps, err := db.FindWebhookEndpoints(ctx, r.DB, who.WorkspaceID, db.EndpointFilter{TestOnly: !who.Livemode, AfterID: afterID, Limit: limit})
	if err != nil {
		return nil, err
	}
	hasMore := len(eps) > limit
	if hasMore {
		eps = eps[:limit]
	}
	conn := &model.WebhookEndpointConnection{Edges: []model.WebhookEndpointEdge{}, Nodes: []model.WebhookEndpoint{}}
	keys := make([]string, len(eps))
	for i := range eps {
		ep := toEndpoint(&eps[i])
		keys[i] = ep.ID
		conn.Edges = append(conn.Edges, model.WebhookEndpointEdge{Cursor: listCursor("ep", ep.ID), Node: ep})
		conn.Nodes = append(conn.Nodes, *ep)
	}
	conn.PageInfo = listPageInfo(keys, hasMore, "ep")
	return conn, nil
}

// WebhookMessages lists an endpoint's messages, newest first, with their
// attempts (two statements for the page). Returns webhook_endpoint_not_found.
func (r *Resolver) WebhookMessages(ctx context.Context, endpointID string, status *model.WebhookMessageStatus, first *int, after *string) (*model.WebhookMessageConnection, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	afterID, err := parseListCursor("msg", after)
	if err != nil {
		return nil, err
	}
	if status != nil && !status.IsValid() {
		return nil, apperr.InvalidEnum("status", []string{"PENDING", "SUCCEEDED", "FAILED"})
	}
	if _, err := findEndpoint(ctx, r.DB, who, endpointID, false); err != nil {
		return nil, err
	}
	f := db.MessageFilter{EndpointID: endpointID, AfterID: afterID, Limit: limit}
	if status != nil {
		s := strings.ToLower(string(*status))
		f.Status = &s
	}
	ms, err := db.FindWebhookMessages(ctx, r.DB, who.WorkspaceID, f)
	if err != nil {
		return nil, err
	}
	hasMore := len(ms) > limit
	if hasMore {
		ms = ms[:limit]
	}
	ids := make([]string, len(ms))
	for i := range ms {
		ids[i] = ms[i].ID
	}
	as, err := db.FindWebhookAttempts(ctx, r.DB, who.WorkspaceID, ids)
	if err != nil {
		return nil, err
	}
	byMsg := map[string][]db.WebhookAttempt{}
	for _, a := range as {
		byMsg[a.MessageID] = append(byMsg[a.MessageID], a)
	}
	conn := &model.WebhookMessageConnection{Edges: []model.WebhookMessageEdge{}, Nodes: []model.WebhookMessage{}}
	for i := range ms {
		m := toMessage(&ms[i], byMsg[ms[i].ID])
		conn.Edges = append(conn.Edges, model.WebhookMessageEdge{Cursor: listCursor("msg", m.ID), Node: m})
		conn.Nodes = append(conn.Nodes, *m)
	}
	conn.PageInfo = listPageInfo(ids, hasMore, "msg")
	return conn, nil
}

// Events is the feed of the caller's workspace and mode, newest first.
func (r *Resolver) Events(ctx context.Context, first *int, after *string, types []string) (*model.EventConnection, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	afterSeq, err := parseListCursor("ev", after)
	if err != nil {
		return nil, err
	}
	f := db.EventFilter{Livemode: who.Livemode, Types: types, Limit: limit}
	if afterSeq != "" {
		if f.BeforeSeq, err = strconv.ParseInt(afterSeq, 10, 64); err != nil || f.BeforeSeq < 1 {
			return nil, apperr.InvalidString("after", "after is not a valid cursor")
		}
	}
	evs, err := db.FindEvents(ctx, r.DB, who.WorkspaceID, f)
	if err != nil {
		return nil, err
	}
	hasMore := len(evs) > limit
	if hasMore {
		evs = evs[:limit]
	}
	conn := &model.EventConnection{Edges: []model.EventEdge{}, Nodes: []model.Event{}}
	keys := make([]string, len(evs))
	for i := range evs {
		ev, err := EventFromPayload(evs[i].Payload, r.ReadResource)
		if err != nil {
			return nil, err
		}
		keys[i] = strconv.FormatInt(evs[i].Seq, 10)
		conn.Edges = append(conn.Edges, model.EventEdge{Cursor: listCursor("ev", keys[i]), Node: ev})
		conn.Nodes = append(conn.Nodes, *ev)
	}
	conn.PageInfo = listPageInfo(keys, hasMore, "ev")
	return conn, nil
}

// OperatorContext returns ctx acting for the operator in workspace slug, as a
// live key would (a live key manages live and test-mode endpoints). Returns
// workspace_not_found.
func (r *Resolver) OperatorContext(ctx context.Context, slug string) (context.Context, error) {
	ws, err := db.FindWorkspaceBySlug(ctx, r.DB, slug)
	if err != nil {
		return nil, notFound(err, "workspace")
	}
	return auth.WithIdentity(ctx, &auth.Identity{WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, WorkspaceName: ws.Name,
		KeyName: "operator", Livemode: true, Tier: "unlimited"}), nil
}
