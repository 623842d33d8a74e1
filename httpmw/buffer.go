package httpmw

import (
	"bytes"
	"net/http"
)

// BufferedResponse is an http.ResponseWriter that holds a handler's whole
// response, so that it can be stored before it is sent (idempotency on both
// surfaces). The first status written wins; none written is 200.
type BufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// NewBufferedResponse returns an empty buffer.
func NewBufferedResponse() *BufferedResponse {
	return &BufferedResponse{header: http.Header{}}
}

func (b *BufferedResponse) Header() http.Header { return b.header }

func (b *BufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *BufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// Status is the status written, or 200 if none was.
func (b *BufferedResponse) Status() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// Body is the bytes written.
func (b *BufferedResponse) Body() []byte { return b.body.Bytes() }
