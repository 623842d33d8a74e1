package httpapi

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"pivotal/apperr"
	"pivotal/auth"
	"pivotal/httpmw"
	"pivotal/live"
	"pivotal/ratelimit"
	"pivotal/resolvers"
	"pivotal/rest"
)

// The WebSocket side of /graphql: the graphql-transport-ws protocol (what the
// graphql-ws client library speaks) through gqlgen's websocket transport. The
// API key travels in the connection_init payload, not in a header (browsers
// cannot set one on a WebSocket); a missing, invalid or revoked key closes the
// socket with 4401. Only subscriptions are served here: queries and mutations
// go through POST, where rate limits and idempotency apply.

// graphQLTransportWS is the one subprotocol served.
const graphQLTransportWS = "graphql-transport-ws"

// DefaultKeepAlive is how often the server pings a WebSocket client; a client
// that answers no ping for two intervals is disconnected.
const DefaultKeepAlive = 15 * time.Second

// isGraphQLWS reports whether r asks to upgrade to graphql-transport-ws. Any
// other upgrade on /graphql is refused by the HTTP transports, as before.
func isGraphQLWS(r *http.Request) bool {
	if r.Method != http.MethodGet || !headerHasToken(r.Header, "Upgrade", "websocket") {
		return false
	}
	return headerHasToken(r.Header, "Sec-WebSocket-Protocol", graphQLTransportWS)
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// wsTransport is gqlgen's websocket transport, for graphql-transport-ws
// upgrades only, when the server has a hub (a Resolver without one serves no
// subscriptions: the upgrade is refused like any other).
type wsTransport struct {
	transport.Websocket
	res *resolvers.Resolver
}

func (t wsTransport) Supports(r *http.Request) bool { return t.res.Live != nil && isGraphQLWS(r) }

// wsImplementation accepts with coder/websocket (gqlgen's default), offering
// graphql-transport-ws only (wsHandler has checked the Origin). It hands the
// accepted connection to the request's wsSlot so that the hub can close it
// with a code of its own (4401 on revocation, 1013 when too slow).
type wsImplementation struct{ sendBuffer int }

func (i wsImplementation) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	o.Subprotocols = []string{graphQLTransportWS}
	if i.sendBuffer > 0 {
		w = sendBufferWriter{w, i.sendBuffer}
	}
	impl := transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}}
	c, err := impl.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	if slot, ok := r.Context().Value(wsSlotKey{}).(*wsSlot); ok {
		slot.set(c)
	}
	return c, nil
}

// sendBufferWriter sets the socket's send buffer when it is hijacked.
type sendBufferWriter struct {
	http.ResponseWriter
	size int
}

func (s sendBufferWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		_ = tc.SetWriteBuffer(s.size)
	}
	return c, rw, err
}

// wsSlot holds one request's accepted connection.
type wsSlot struct {
	mu   sync.Mutex
	conn transport.WebsocketConn
}

type wsSlotKey struct{}

func (s *wsSlot) set(c transport.WebsocketConn) {
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
}

// closeWith starts the closing handshake with code and reason (it does not
// wait: a client that stopped reading cannot block the hub).
func (s *wsSlot) closeWith(code int, reason string) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		_ = c.WriteClose(code, reason)
	}
}

// wsMarker marks the context of a WebSocket connection's operations.
type wsMarker struct{}

// newWSTransport returns the transport with its connection_init check.
func newWSTransport(res *resolvers.Resolver, o Options) wsTransport {
	keepAlive := o.KeepAlive
	if keepAlive <= 0 {
		keepAlive = DefaultKeepAlive
	}
	return wsTransport{res: res, Websocket: transport.Websocket{
		Implementation:   wsImplementation{sendBuffer: o.WebSocketSendBuffer},
		InitTimeout:      10 * time.Second,
		PingPongInterval: keepAlive,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			return wsInit(ctx, res, o, p)
		},
	}}
}

// wsInit authenticates a connection_init payload and registers the
// connection with the hub.
func wsInit(ctx context.Context, res *resolvers.Resolver, o Options, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	var header string
	for k, v := range p {
		if strings.EqualFold(k, "Authorization") {
			header, _ = v.(string)
		}
	}
	id, err := res.Authenticate(ctx, header)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Kind == apperr.Unauthenticated {
			ctx = transport.WithWebsocketCloseCode(ctx, live.CloseUnauthorized)
			return transport.AppendCloseReason(ctx, "Unauthorized: "+e.Code), nil, err
		}
		res.Internal(ctx, err, httpmw.RequestIDFrom(ctx))
		ctx = transport.WithWebsocketCloseCode(ctx, 1011)
		return transport.AppendCloseReason(ctx, "internal error"), nil, err
	}
	if res.Live == nil {
		ctx = transport.WithWebsocketCloseCode(ctx, 1011)
		return transport.AppendCloseReason(ctx, "subscriptions are not served"), nil, errors.New("no hub")
	}
	httpmw.RecordIdentity(ctx, id)
	slot, _ := ctx.Value(wsSlotKey{}).(*wsSlot)
	conn := &live.Conn{KeyID: id.KeyID, Close: slot.closeWith}
	unregister := res.Live.Register(conn)
	done := ctx.Done() // the connection's end (wsHandler cancels it)
	go func() { <-done; unregister() }()
	ctx = auth.WithIdentity(ctx, id)
	ctx = live.WithConn(ctx, conn)
	ctx = resolvers.WithLiveLoaders(ctx)
	ctx = context.WithValue(ctx, wsMarker{}, true)
	return ctx, nil, nil
}

// wsHandler serves graphql-transport-ws upgrades with gqlgen's server gql. The
// connection lives as long as the socket: no request deadline applies.
// Browsers apply no CORS to WebSockets, so the server applies the same rule
// itself: a page may open one from the server's own origin or from an
// allowed origin (PIVOTAL_CORS_ORIGINS); clients that send no Origin (not
// browsers) may always.
func wsHandler(gql http.Handler, origins []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); !originAllowed(r, origin, origins) {
			rest.WriteJSON(w, http.StatusForbidden, map[string]any{"errors": []any{map[string]any{
				"message":    "Origin " + strconv.Quote(origin) + " may not open a WebSocket here; see PIVOTAL_CORS_ORIGINS.",
				"extensions": map[string]any{"code": "FORBIDDEN", "errorCode": "origin_not_allowed"}}}})
			return
		}
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		ctx = context.WithValue(ctx, wsSlotKey{}, &wsSlot{})
		gql.ServeHTTP(w, r.WithContext(ctx))
	})
}

// originAllowed is the CORS rule for a WebSocket: no Origin, the request's
// own host, or an allowed origin (go-chi/cors's patterns: "*" and one "*"
// inside an origin).
func originAllowed(r *http.Request, origin string, allowed []string) bool {
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	origin = strings.ToLower(origin)
	for _, a := range allowed {
		a = strings.ToLower(a)
		if a == "*" || a == origin {
			return true
		}
		if pre, post, ok := strings.Cut(a, "*"); ok && len(origin) >= len(pre)+len(post) &&
			strings.HasPrefix(origin, pre) && strings.HasSuffix(origin, post) {
			return true
		}
	}
	return false
}

// wsOperations refuses queries and mutations over WebSocket (POST serves
// them, with rate limits and idempotency) and charges each subscription to
// the key's rate limit as one request of its cost.
type wsOperations struct {
	es      graphql.ExecutableSchema
	limiter *ratelimit.Limiter
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &wsOperations{}

func (*wsOperations) ExtensionName() string { return "WebSocketOperations" }

func (w *wsOperations) Validate(es graphql.ExecutableSchema) error {
	w.es = es
	return nil
}

func (w *wsOperations) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if ctx.Value(wsMarker{}) == nil || oc.Operation == nil {
		return nil
	}
	if oc.Operation.Operation != ast.Subscription {
		e := apperr.New(apperr.Invalid, "subscriptions_only",
			"Only subscriptions are served over WebSocket; send queries and mutations with POST /graphql.")
		return &gqlerror.Error{Err: e, Message: e.Message}
	}
	if w.limiter == nil {
		return nil
	}
	res, _ := w.limiter.NewMeter(auth.FromContext(ctx)).Charge(ctx, GraphQLPoints(operationCost(ctx, w.es, oc)))
	if res != nil && !res.Allowed {
		e := httpmw.RateLimited(res)
		return &gqlerror.Error{Err: e, Message: e.Message}
	}
	return nil
}
