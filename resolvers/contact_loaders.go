package resolvers

import (
	"context"
	"fmt"

	"pivotal/db"
	"pivotal/gqltypes"
	"pivotal/graph/model"
)

// CustomerContacts is the page of Customer.contacts(first, after) for one
// parent. Every parent asking for the same page shape in a request joins one
// statement (FindContactsForCustomers), so a list of customers with their
// contacts costs the same number of statements whatever its length.
func (r *Resolver) CustomerContacts(ctx context.Context, customerID string, a ListArgs) (*ContactPage, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	after := ""
	if a.Before != nil {
		after = gqltypes.FormatTime(*a.Before)
	}
	name := fmt.Sprintf("customerContacts:%d:%s", a.Limit, after)
	l := loaderFor(ctx, name, func(ctx context.Context, ids []string) ([]*ContactPage, []error) {
		out := make([]*ContactPage, len(ids))
		errs := make([]error, len(ids))
		// One more row per parent than the page holds tells hasNextPage.
		rows, err := db.FindContactsForCustomers(ctx, r.DB, who.WorkspaceID, ids, a.Before, a.Limit+1)
		if err != nil {
			return batchFailed(out, err)
		}
		byCustomer := make(map[string][]db.Contact, len(ids))
		for _, k := range rows {
			byCustomer[k.CustomerID] = append(byCustomer[k.CustomerID], k)
		}
		for i, id := range ids {
			out[i] = contactPage(byCustomer[id], a.Limit)
		}
		return out, errs
	})
	return loadWithSiblings(ctx, l, name, customerID, customerKey)
}

// PrimaryContact returns the primary contact of a visible customer, or nil
// when it has none, batching every call of one request into one statement.
func (r *Resolver) PrimaryContact(ctx context.Context, customerID string) (*model.Contact, error) {
	who, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	l := loaderFor(ctx, "primaryContact", func(ctx context.Context, ids []string) ([]*model.Contact, []error) {
		out := make([]*model.Contact, len(ids))
		errs := make([]error, len(ids))
		rows, err := db.FindPrimaryContacts(ctx, r.DB, who.WorkspaceID, ids)
		if err != nil {
			return batchFailed(out, err)
		}
		byCustomer := make(map[string]*db.Contact, len(rows))
		for i := range rows {
			byCustomer[rows[i].CustomerID] = &rows[i]
		}
		for i, id := range ids {
			if k, ok := byCustomer[id]; ok {
				out[i] = toContact(k)
			}
		}
		return out, errs
	})
	return loadWithSiblings(ctx, l, "primaryContact", customerID, customerKey)
}
