package resolvers

import (
	"encoding/json"
	"fmt"
	"time"

	"pivotal/gqltypes"
	"pivotal/graph/model"
)

// ResourceReader reads a REST resource that a ResourceRenderer wrote back as
// its model object (nil for objects outside the EventObject union). Like the
// renderer, it belongs to the REST package (rest.ReadResource) and is injected.
type ResourceReader func(b []byte) (model.EventObject, error)

// EventFromPayload reads a stored envelope as the GraphQL Event: its object
// as of the event (read back from the REST resource it carries, by read; nil
// when read is nil) and its previous attributes.
func EventFromPayload(payload []byte, read ResourceReader) (*model.Event, error) {
	var env struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		CreatedAt string `json:"created_at"`
		Livemode  bool   `json:"livemode"`
		Data      struct {
			Object             json.RawMessage `json:"object"`
			PreviousAttributes json.RawMessage `json:"previous_attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("event payload: %w", err)
	}
	at, err := time.Parse(time.RFC3339Nano, env.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("event payload: %w", err)
	}
	ev := &model.Event{ID: env.ID, Type: env.Type, CreatedAt: gqltypes.Time(at), Livemode: env.Livemode}
	if p := env.Data.PreviousAttributes; len(p) > 0 && string(p) != "null" {
		ev.PreviousAttributes = gqltypes.JSON(p)
	}
	if read != nil {
		if ev.Object, err = read(env.Data.Object); err != nil {
			return nil, fmt.Errorf("event %s object: %w", env.ID, err)
		}
	}
	return ev, nil
}
