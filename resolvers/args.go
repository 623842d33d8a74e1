package resolvers

import (
	"encoding/json"
	"strings"
)

// intArg reads an Int argument (defaults already applied by ArgumentMap).
func intArg(args map[string]any, name string, def int) (int, bool) {
	v, present := args[name]
	if !present || v == nil {
		return def, true // null means the default, as for the executor
	}
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), n == int64(int(n))
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), float64(int(n)) == n
	}
	return 0, false
}

// enumArg reads an optional enum of an input object in the store's spelling.
func enumArg(m map[string]any, name string) (*string, error) {
	v, present := m[name]
	if !present || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		if sv, isStringer := v.(interface{ String() string }); isStringer {
			s, ok = sv.String(), true
		}
	}
	if !ok {
		return nil, errNoPlan
	}
	s = strings.ToLower(s)
	return &s, nil
}

func stringArg(m map[string]any, name string) (*string, error) {
	v, present := m[name]
	if !present || v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, errNoPlan
	}
	return &s, nil
}
