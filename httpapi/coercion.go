package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"pivotal/gqltypes"
)

// variableCoercion refuses, before execution, variable values that the
// GraphQL specification's input coercion rejects, with graphql-js's coercion
// as the reference (its scalars' parseValue): a request error, nothing runs.
//
// gqlparser coerces more loosely than the specification allows: a JSON number
// passes as a String (it decodes as json.Number, whose kind is string), a
// string of digits as an Int, any 64-bit integer as an Int, an enum value in
// any letter case; and gqlgen unmarshals custom scalars only when the field
// runs, so a bad Time became a field error after other fields had run. This
// extension checks the values gqlparser accepted, whose JSON types it keeps,
// against the rules below.
//
//   - Int: a number with an integral value in [-2^31, 2^31-1] (1.0 is 1).
//   - Float: a finite number.
//   - String: a string. Boolean: true or false.
//   - ID: a string or a number with an integral value.
//   - enum: one of its values' names, exactly.
//   - Time, JSON: what their UnmarshalGQL accepts (package gqltypes).
//   - input object: an object without unknown fields, whose non-null fields
//     without a default are present and not null; lists: an array, or a single
//     value that coercion wraps in a list of one.
type variableCoercion struct{ schema *ast.Schema }

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = &variableCoercion{}

func (*variableCoercion) ExtensionName() string { return "VariableCoercion" }

func (c *variableCoercion) Validate(es graphql.ExecutableSchema) error {
	c.schema = es.Schema()
	return nil
}

func (c *variableCoercion) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for _, d := range oc.Operation.VariableDefinitions {
		v, ok := oc.Variables[d.Variable]
		if !ok {
			continue
		}
		if msg, at := c.coerce(d.Type, v, ast.Path{ast.PathName(d.Variable)}); msg != "" {
			return coercionError(d, v, msg, at)
		}
	}
	return nil
}

func coercionError(d *ast.VariableDefinition, v any, msg string, at ast.Path) *gqlerror.Error {
	where := ""
	if len(at) > 1 {
		where = fmt.Sprintf(" at %q", at.String())
	}
	e := &gqlerror.Error{
		Message:    fmt.Sprintf("Variable \"$%s\" got invalid value %s%s; %s", d.Variable, shown(v), where, msg),
		Path:       append(ast.Path{ast.PathName("variable")}, at...),
		Extensions: map[string]any{"code": codeBadUserInput},
	}
	if d.Position != nil {
		e.Locations = []gqlerror.Location{{Line: d.Position.Line, Column: d.Position.Column}}
	}
	return e
}

// codeBadUserInput is the code of values the client sent wrong: the resolvers'
// code for invalid input, and here for variables that do not coerce.
const codeBadUserInput = "BAD_USER_INPUT"

func init() {
	// Refused before execution, like gqlgen's own variable errors: a request
	// error (gqlgen's transports answer 422, or 400 for graphql-response+json).
	errcode.RegisterErrorType(codeBadUserInput, errcode.KindProtocol)
}

// coerce returns why v is not a value of type t ("" when it is) and where in v.
func (c *variableCoercion) coerce(t *ast.Type, v any, at ast.Path) (string, ast.Path) {
	if v == nil {
		if t.NonNull {
			return fmt.Sprintf("Expected non-nullable type %q not to be null.", t.String()), at
		}
		return "", nil
	}
	if t.Elem != nil {
		list := reflect.ValueOf(v) // gqlparser wraps a single value in a list of its own type
		if list.Kind() != reflect.Slice {
			return c.coerce(t.Elem, v, at) // a single value is a list of one
		}
		for i := range list.Len() {
			if msg, where := c.coerce(t.Elem, list.Index(i).Interface(), append(at[:len(at):len(at)], ast.PathIndex(i))); msg != "" {
				return msg, where
			}
		}
		return "", nil
	}
	def := c.schema.Types[t.NamedType]
	if def == nil {
		return "", nil // validation reports unknown types
	}
	switch def.Kind {
	case ast.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("Expected type %q to be an object.", def.Name), at
		}
		for name := range obj {
			if def.Fields.ForName(name) == nil {
				return fmt.Sprintf("Field %q is not defined by type %q.", name, def.Name), at
			}
		}
		for _, f := range def.Fields {
			fv, present := obj[f.Name]
			if !present {
				if f.Type.NonNull && f.DefaultValue == nil {
					return fmt.Sprintf("Field %q of required type %q was not provided.", f.Name, f.Type.String()), at
				}
				continue
			}
			if msg, where := c.coerce(f.Type, fv, append(at[:len(at):len(at)], ast.PathName(f.Name))); msg != "" {
				return msg, where
			}
		}
		return "", nil
	case ast.Enum:
		if s, ok := v.(string); ok && def.EnumValues.ForName(s) != nil {
			return "", nil
		}
		return fmt.Sprintf("Value %s does not exist in %q enum.", shown(v), def.Name), at
	case ast.Scalar:
		if msg := coerceScalar(def.Name, v); msg != "" {
			return msg, at
		}
	}
	return "", nil
}

// coerceScalar is graphql-js's parseValue for the built-in scalars, and the
// server's own UnmarshalGQL for its custom ones.
func coerceScalar(name string, v any) string {
	switch name {
	case "Int":
		f, ok := number(v)
		if !ok || f != math.Trunc(f) {
			return "Int cannot represent non-integer value: " + shown(v)
		}
		if f < math.MinInt32 || f > math.MaxInt32 {
			return "Int cannot represent non 32-bit signed integer value: " + shown(v)
		}
	case "Float":
		if f, ok := number(v); !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return "Float cannot represent non numeric value: " + shown(v)
		}
	case "String":
		if _, ok := v.(string); !ok {
			return "String cannot represent a non string value: " + shown(v)
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return "Boolean cannot represent a non boolean value: " + shown(v)
		}
	case "ID":
		if _, ok := v.(string); ok {
			return ""
		}
		if f, ok := number(v); !ok || f != math.Trunc(f) || math.IsInf(f, 0) {
			return "ID cannot represent value: " + shown(v)
		}
	case "Time":
		var t gqltypes.Time
		if err := t.UnmarshalGQL(v); err != nil {
			return err.Error() + ": " + shown(v)
		}
	case "JSON":
		var j gqltypes.JSON
		if err := j.UnmarshalGQL(v); err != nil {
			return err.Error() + ": " + shown(v)
		}
	}
	return ""
}

// number is v as a float64 when v is a JSON number (as decoded by gqlgen, or
// as gqlparser converted a top-level Int or Float variable).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil && !math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// shown shows a value as the client sent it, cut to 100 bytes.
func shown(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 100 {
		return string(b[:100]) + "…"
	}
	return string(b)
}

// literalRules are gqlparser's validation rules plus literalCoercion.
func literalRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.AddRule("LiteralCoercion", literalCoercion)
	return r
}

// literalCoercion is the half of graphql-js's parseLiteral that gqlparser's
// ValuesOfCorrectType leaves out: an Int literal must fit in 32 bits, and a
// literal of a custom scalar must be what its UnmarshalGQL accepts (a JSON
// literal an object, a Time literal an RFC 3339 string). Without it, such
// literals failed, or passed, only when their field ran.
func literalCoercion(observers *core.Events, addError core.AddErrFunc) {
	observers.OnValue(func(_ *core.Walker, v *ast.Value) {
		if v.Definition == nil || v.ExpectedType == nil || v.Kind == ast.Variable || v.Kind == ast.NullValue {
			return
		}
		switch v.Definition.Name {
		case "Int":
			if _, err := strconv.ParseInt(v.Raw, 10, 32); v.Kind == ast.IntValue && err != nil {
				addError(core.Message("Int cannot represent non 32-bit signed integer value: %s", v.String()), core.At(v.Position))
			}
		case "JSON":
			if v.Kind != ast.ObjectValue {
				addError(core.Message("JSON must be an object, found %s.", v.String()), core.At(v.Position))
			}
		case "Time":
			var t gqltypes.Time
			if v.Kind != ast.StringValue || t.UnmarshalGQL(v.Raw) != nil {
				addError(core.Message("Time must be an RFC 3339 string, found %s.", v.String()), core.At(v.Position))
			}
		}
	})
}
