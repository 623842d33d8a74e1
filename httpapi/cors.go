package httpapi

import (
	"net/http"

	"github.com/go-chi/cors"
)

// corsHandler lets browser dashboards on origins call the API: preflights are
// answered before authentication (they carry no key), and the headers clients
// need — rate limits, request id, replays — are exposed to scripts.
func corsHandler(origins []string) func(http.Handler) http.Handler {
	return cors.Handler(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"},
		ExposedHeaders: []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
			"Retry-After", "X-Request-Id", "Idempotent-Replayed"},
		MaxAge: 600,
	})
}
