package resolvers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"pivotal/auth"
	"pivotal/db"
	"pivotal/gqltypes"
)

// ResourceRenderer renders a model object (*model.Customer, *model.Contact,
// *model.Onboarding) as its REST v1 resource, exactly as GET returns it. The
// REST package owns that rendering; the server injects it here (rest.Resource)
// so that an event's data.object is the REST resource byte for byte without
// this package knowing REST's field names.
type ResourceRenderer func(obj any) ([]byte, error)

// Outbox collects the audit entries and the events of one mutation. mutate
// writes them, in the order they were added, in the mutation's transaction
// with one statement (the audit trail's insert, which every write has
// anyway), so that a rolled-back write has no events and an acknowledged one
// has all of them.
type Outbox struct {
	audits []db.AuditEntry
	items  []outboxItem
}

// audit records an entry of the audit trail, attributed to the caller.
func (o *Outbox) audit(action, objectType, objectID string) {
	o.audits = append(o.audits, db.AuditEntry{Action: action, ObjectType: objectType, ObjectID: objectID})
}

type outboxItem struct {
	typ    string
	obj    any
	before any // nil: previous_attributes is null
	// only restricts previous_attributes to these REST fields (nil: every
	// field that changed).
	only []string
}

// add records an event without previous attributes (created, deleted).
func (o *Outbox) add(typ string, obj any) {
	o.items = append(o.items, outboxItem{typ: typ, obj: obj})
}

// change records an event whose previous_attributes hold the prior values of
// the fields that changed between before and after, among only (all when
// none is given).
func (o *Outbox) change(typ string, before, after any, only ...string) {
	o.items = append(o.items, outboxItem{typ: typ, obj: after, before: before, only: only})
}

// flush writes the collected entries and events: nothing when there are none
// (a no-op update, a repeated delete); no events when no renderer is wired (a
// Resolver built for a one-shot command).
func (o *Outbox) flush(ctx context.Context, store *db.DB, tx *sqlx.Tx, render ResourceRenderer) error {
	if len(o.audits) == 0 && len(o.items) == 0 {
		return nil
	}
	who := auth.FromContext(ctx)
	if who == nil {
		return fmt.Errorf("outbox: no identity")
	}
	if render == nil {
		o.items = nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	rendered := map[any][]byte{}
	renderOnce := func(obj any) ([]byte, error) {
		if b, ok := rendered[obj]; ok {
			return b, nil
		}
		b, err := render(obj)
		if err != nil {
			return nil, err
		}
		b = bytes.TrimRight(b, "\n")
		rendered[obj] = b
		return b, nil
	}
	evs := make([]db.NewEvent, 0, len(o.items))
	for _, it := range o.items {
		obj, err := renderOnce(it.obj)
		if err != nil {
			return err
		}
		prev := json.RawMessage("null")
		if it.before != nil {
			before, err := renderOnce(it.before)
			if err != nil {
				return err
			}
			if prev, err = previousAttributes(before, obj, it.only); err != nil {
				return err
			}
		}
		id := db.NewPublicID("evt_")
		payload, err := envelope(id, it.typ, now, who.WorkspaceID, who.Livemode, obj, prev)
		if err != nil {
			return err
		}
		evs = append(evs, db.NewEvent{ID: id, Type: it.typ, Payload: payload})
	}
	return store.InsertChanges(ctx, tx, who.WorkspaceID, who.Actor(), o.audits, who.Livemode, now, evs)
}

// APIVersion is the envelope's api_version.
const APIVersion = "v1"

type eventEnvelope struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	CreatedAt  string    `json:"created_at"`
	OrgID      string    `json:"org_id"`
	Livemode   bool      `json:"livemode"`
	APIVersion string    `json:"api_version"`
	Data       eventData `json:"data"`
}

type eventData struct {
	Object             json.RawMessage `json:"object"`
	PreviousAttributes json.RawMessage `json:"previous_attributes"`
}

// envelope encodes an event as it is stored, signed and sent (no trailing
// newline, no HTML escaping, like the REST API's JSON).
func envelope(id, typ string, at time.Time, workspaceID string, livemode bool, obj, prev json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(eventEnvelope{ID: id, Type: typ, CreatedAt: gqltypes.FormatTime(at), OrgID: workspaceID,
		Livemode: livemode, APIVersion: APIVersion, Data: eventData{Object: obj, PreviousAttributes: prev}})
	return bytes.TrimRight(b.Bytes(), "\n"), err
}

// previousAttributes returns, in after's field order, the prior values of the
// top-level fields whose JSON differs between before and after, restricted to
// only when given. updated_at is left out: it changes on every update and is
// not something the caller changed.
func previousAttributes(before, after []byte, only []string) (json.RawMessage, error) {
	bf, _, err := topLevel(before)
	if err != nil {
		return nil, err
	}
	af, order, err := topLevel(after)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for _, k := range order {
		if k == "updated_at" || (len(only) > 0 && !contains(only, k)) || bytes.Equal(bf[k], af[k]) {
			continue
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		key, _ := json.Marshal(k)
		out.Write(key)
		out.WriteByte(':')
		v := bf[k]
		if v == nil {
			v = json.RawMessage("null")
		}
		out.Write(v)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// topLevel splits a JSON object into its fields and their order.
func topLevel(b []byte) (map[string]json.RawMessage, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("outbox: resource is not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	var order []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		fields[k] = v
		order = append(order, k)
	}
	return fields, order, nil
}
