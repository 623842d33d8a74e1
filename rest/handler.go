package rest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"pivotal/apperr"
	"pivotal/gqltypes"
	"pivotal/resolvers"
)

// result is what a handler produced: a status and a body to encode.
type result struct {
	status int
	body   any
}

// rawJSON is a body already encoded exactly as WriteJSON would encode it.
type rawJSON []byte

// handle adapts a handler that returns a result or an error.
func (a *API) handle(fn func(r *http.Request) (result, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := fn(r)
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		if raw, ok := res.body.(rawJSON); ok {
			WriteRaw(w, res.status, raw)
			return
		}
		WriteJSON(w, res.status, res.body)
	}
}

// Fail writes err in the envelope; unexpected errors are logged and made opaque.
func (a *API) Fail(w http.ResponseWriter, r *http.Request, err error) {
	WriteError(w, a.res.Internal(r.Context(), err, a.requestID(r.Context())))
}

// list is the REST list envelope.
type list struct {
	Object     string  `json:"object"`
	Data       any     `json:"data"`
	HasMore    bool    `json:"has_more"`
	NextCursor *string `json:"next_cursor"`
}

// newList wraps a page; lastCreated is the created_at of the page's last row.
func newList[T any](data []T, hasMore bool, lastCreated func() gqltypes.Time) list {
	l := list{Object: "list", Data: data, HasMore: hasMore}
	if data == nil {
		l.Data = []T{}
	}
	if hasMore && len(data) > 0 {
		c := gqltypes.FormatTime(lastCreated().Time())
		l.NextCursor = &c
	}
	return l
}

// deleted is the REST deletion envelope.
type deleted struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	DisplayID int    `json:"display_id"`
	Deleted   bool   `json:"deleted"`
}

func deletedJSON(d *resolvers.Deleted) deleted {
	return deleted{Object: "deleted", ID: d.ID, DisplayID: d.DisplayID, Deleted: true}
}

// listArgs reads limit and cursor (spec §4).
func listArgs(q url.Values, def int) (resolvers.ListArgs, error) {
	a := resolvers.ListArgs{Limit: def}
	if v, ok := q["limit"]; ok {
		s := strings.TrimSpace(v[0])
		n, err := strconv.Atoi(s)
		switch {
		case err != nil && strings.Trim(s, "0123456789-+") == "" && s != "" && s != "-" && s != "+":
			// An integer too large for int.
			if strings.HasPrefix(s, "-") {
				return a, apperr.TooSmall("limit", "limit must be at least 1")
			}
			return a, apperr.TooBig("limit", "limit must be at most %d", resolvers.MaxPage)
		case err != nil:
			return a, apperr.InvalidType("limit", "an integer")
		case n < 1:
			return a, apperr.TooSmall("limit", "limit must be at least 1")
		case n > resolvers.MaxPage:
			return a, apperr.TooBig("limit", "limit must be at most %d", resolvers.MaxPage)
		}
		a.Limit = n
	}
	if v, ok := q["cursor"]; ok {
		t, err := resolvers.ParseCursorTime(v[0])
		if err != nil {
			return a, err
		}
		a.Before = &t
	}
	return a, nil
}

// enumParam reads an optional enum query parameter.
func enumParam[T interface {
	~string
	IsValid() bool
}](q url.Values, name string, all []T) (*T, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	e := resolvers.EnumFromREST[T](v[0])
	if !e.IsValid() {
		names := make([]string, len(all))
		for i, a := range all {
			names[i] = resolvers.RESTEnum(a)
		}
		return nil, apperr.InvalidEnum(name, names)
	}
	return &e, nil
}

func strParam(q url.Values, name string) *string {
	if v, ok := q[name]; ok {
		return &v[0]
	}
	return nil
}
