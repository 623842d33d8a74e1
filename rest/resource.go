package rest

import (
	"fmt"

	"pivotal/graph/model"
)

// Resource renders a model object as its REST v1 resource, exactly as GET
// returns it. It is the renderer events use for data.object
// (resolvers.ResourceRenderer), so that a webhook carries the REST resource
// byte for byte, whoever renders REST responses.
func Resource(obj any) ([]byte, error) {
	switch o := obj.(type) {
	case *model.Customer:
		return Encode(customerOut(o))
	case *model.Contact:
		return Encode(contactOut(o))
	case *model.Onboarding:
		return Encode(onboardingOut(o))
	}
	return nil, fmt.Errorf("rest: no resource for %T", obj)
}
