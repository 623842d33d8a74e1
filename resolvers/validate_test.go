package resolvers

import (
	"testing"

	"pivotal/graph/model"
)

func TestEnumFromREST(t *testing.T) {
	if s := EnumFromREST[model.CustomerStatus]("at_risk"); s != model.CustomerStatusAtRisk {
		t.Errorf("at_risk → %q", s)
	}
	for _, bad := range []string{"AT_RISK", "At_risk", " active", "nope", ""} {
		if EnumFromREST[model.CustomerStatus](bad).IsValid() {
			t.Errorf("%q accepted", bad)
		}
	}
}
