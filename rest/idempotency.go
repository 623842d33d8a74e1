package rest

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"pivotal/apperr"
	"pivotal/httpmw"
	"pivotal/resolvers"
)

// renderStored encodes a result exactly as WriteJSON sends it.
func renderStored(v any) (resolvers.StoredResponse, error) {
	res, err := created(v)
	if err != nil {
		return resolvers.StoredResponse{}, err
	}
	b, err := Encode(res.body)
	return resolvers.StoredResponse{Status: res.status, Body: b}, err
}

// idempotency gives every POST route spec §5: with an Idempotency-Key header
// the key is claimed, the response is stored in the write's transaction, and a
// repeat replays it byte for byte with Idempotent-Replayed: true.
func (a *API) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys, ok := r.Header[http.CanonicalHeaderKey("Idempotency-Key")]
		if r.Method != http.MethodPost || !ok {
			next.ServeHTTP(w, r)
			return
		}
		raw, err := io.ReadAll(r.Body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.Fail(w, r, apperr.BodyTooLarge())
			return
		}
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		claim, replay, err := a.res.ClaimIdempotencyKey(r.Context(), resolvers.IdempotentRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), Key: keys[0], Body: raw})
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		if replay != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			WriteRaw(w, replay.Status, replay.Body)
			return
		}
		rec := httpmw.NewBufferedResponse()
		settled := false
		defer func() {
			if !settled { // a panic: free the key, then let Recover answer
				claim.Settle(r.Context(), resolvers.StoredResponse{Status: http.StatusInternalServerError})
			}
		}()
		ctx := resolvers.WithTxHook(r.Context(), claim.StoreHook(renderStored))
		next.ServeHTTP(rec, r.WithContext(ctx))
		out := claim.Settle(r.Context(), resolvers.StoredResponse{Status: rec.Status(), Body: rec.Body()})
		settled = true
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		WriteRaw(w, out.Status, out.Body)
	})
}
