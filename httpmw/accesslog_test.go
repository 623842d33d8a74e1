package httpmw

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
)

// Start-up health probes are answered 503 until the database is up; they
// must not fill the log with errors. Other failures keep their level.
func TestAccessLogLevels(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
	}
	r := chi.NewRouter()
	r.Use(AccessLog(log, nil))
	r.Get("/api/health/deep", status(503))
	r.Get("/api/v1/health", status(200))
	r.Get("/api/v1/customers", status(503))
	r.Get("/api/v1/contacts", status(500))
	r.Get("/api/v1/onboardings", status(404))
	for path, want := range map[string]string{
		"/api/health/deep": "INFO", "/api/v1/health": "INFO", "/api/v1/customers": "WARN",
		"/api/v1/contacts": "ERROR", "/api/v1/onboardings": "INFO",
	} {
		buf.Reset()
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		var line struct{ Level, Route string }
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line.Level != want || line.Route != path {
			t.Errorf("GET %s logged %s (%v), want level %s", path, buf.String(), err, want)
		}
	}
}
