package rest

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"pivotal/gqltypes"
	"pivotal/graph/model"
	"pivotal/resolvers"
)

type contactJSON struct {
	Object     string   `json:"object"`
	ID         string   `json:"id"`
	DisplayID  int      `json:"display_id"`
	CustomerID string   `json:"customer_id"`
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Title      *string  `json:"title"`
	IsPrimary  bool     `json:"is_primary"`
	Labels     []string `json:"labels"`
	CreatedAt  string   `json:"created_at"`
	UpdatedAt  string   `json:"updated_at"`
}

func contactOut(k *model.Contact) contactJSON {
	labels := k.Labels
	if labels == nil {
		labels = []string{}
	}
	return contactJSON{
		Object: "contact", ID: k.ID, DisplayID: k.DisplayID, CustomerID: k.CustomerID, Name: k.Name,
		Email: k.Email, Title: k.Title, IsPrimary: k.IsPrimary, Labels: labels,
		CreatedAt: gqltypes.FormatTime(k.CreatedAt.Time()), UpdatedAt: gqltypes.FormatTime(k.UpdatedAt.Time()),
	}
}

// contactFields reads the writable contact fields in the contract's order.
func contactFields(b *body) model.UpdateContactInput {
	return model.UpdateContactInput{
		Name:      b.str("name", false),
		Email:     b.str("email", false),
		Title:     b.str("title", true),
		IsPrimary: b.boolean("is_primary", false),
		Labels:    b.stringList("labels", false),
	}
}

func (a *API) listContacts(r *http.Request) (result, error) {
	args, err := listArgs(r.URL.Query(), 20)
	if err != nil {
		return result{}, err
	}
	page, err := a.res.ContactRows(r.Context(), chi.URLParam(r, "customerId"), args)
	if err != nil {
		return result{}, err
	}
	body, err := renderList(page)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, body}, nil
}

func (a *API) createContact(r *http.Request) (result, error) {
	b, err := decodeBody(r)
	if err != nil {
		return result{}, err
	}
	if err := b.require("name", "email"); err != nil {
		return result{}, err
	}
	f := contactFields(b)
	if err := b.check(); err != nil {
		return result{}, err
	}
	in := model.CreateContactInput{
		Name: *f.Name.Value(), Email: *f.Email.Value(), Title: f.Title.Value(),
		IsPrimary: f.IsPrimary.Value(), Labels: f.Labels.Value(),
	}
	k, err := a.res.CreateContact(a.mutationContext(r), chi.URLParam(r, "customerId"), in)
	if err != nil {
		return result{}, err
	}
	return created(k)
}

func (a *API) getContact(r *http.Request) (result, error) {
	return a.getRow(r, resolvers.ContactEntity)
}

func (a *API) updateContact(r *http.Request) (result, error) {
	b, err := decodeBody(r)
	if err != nil {
		return result{}, err
	}
	in := contactFields(b)
	if err := b.check(); err != nil {
		return result{}, err
	}
	k, err := a.res.UpdateContact(a.mutationContext(r), chi.URLParam(r, "id"), in)
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, contactOut(k)}, nil
}

func (a *API) deleteContact(r *http.Request) (result, error) {
	d, err := a.res.DeleteContact(a.mutationContext(r), chi.URLParam(r, "id"))
	if err != nil {
		return result{}, err
	}
	return result{http.StatusOK, deletedJSON(d)}, nil
}
