package rest

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"pivotal/resolvers"
)

// The REST renderer of rows: a list page written straight from the store's
// rows through the entity's field table (resolvers.Entity), byte for byte as
// the encoder prints the same objects (customerOut and friends, which single
// objects still use): {"object":…, then each field in the table's order.

// appendObject appends row i of p as its REST object.
func appendObject(b []byte, p *resolvers.RowPage, i int) ([]byte, error) {
	ent := p.Entity
	b = append(b, `{"object":"`...)
	b = append(b, ent.Object...)
	b = append(b, '"')
	var err error
	for f := range ent.Fields {
		fd := &ent.Fields[f]
		if fd.REST == "" {
			continue
		}
		b = append(b, ',', '"')
		b = append(b, fd.REST...)
		b = append(b, '"', ':')
		v, ok := p.Value(i, f)
		if b, err = resolvers.AppendREST(b, fd.Enc, v, ok); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// renderList writes p as the REST list envelope, with its trailing newline.
func renderList(p *resolvers.RowPage) (rawJSON, error) {
	b := make([]byte, 0, 64+p.Len()*512)
	b = append(b, `{"object":"list","data":[`...)
	var err error
	for i := 0; i < p.Len(); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendObject(b, p, i); err != nil {
			return nil, err
		}
	}
	b = append(b, `],"has_more":`...)
	if p.HasMore && p.Len() > 0 {
		b = append(b, `true,"next_cursor":"`...)
		b = append(b, p.Created(p.Len()-1)...)
		b = append(b, `"}`...)
	} else if p.HasMore {
		b = append(b, `true,"next_cursor":null}`...)
	} else {
		b = append(b, `false,"next_cursor":null}`...)
	}
	return append(b, '\n'), nil
}

// renderObject writes the page's one row as its REST object, with the
// trailing newline.
func renderObject(p *resolvers.RowPage) (rawJSON, error) {
	b, err := appendObject(make([]byte, 0, 1024), p, 0)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// getRow answers GET of one object of ent named by the route's id.
func (a *API) getRow(r *http.Request, ent *resolvers.Entity) (result, error) {
	p, err := a.res.Row(r.Context(), ent, chi.URLParam(r, "id"))
	if err != nil {
		return result{}, err
	}
	body, err := renderObject(p)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, body}, nil
}
