package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Objects move between two forms: Pulumi property maps (which carry secrets and unknowns)
// and plain JSON-like maps (what the Kubernetes API takes). These helpers convert between
// them and carry secretness across by property path.

// path is a property path: string keys and int indexes.
type path []interface{}

var simpleKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// String renders a path in Pulumi's property path syntax: a.b[0]["c.d"].
func (p path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		case string:
			if simpleKey.MatchString(e) {
				if i > 0 {
					b.WriteByte('.')
				}
				b.WriteString(e)
			} else {
				b.WriteString("[" + strconv.Quote(e) + "]")
			}
		}
	}
	return b.String()
}

func (p path) child(e interface{}) path {
	c := make(path, len(p), len(p)+1)
	copy(c, p)
	return append(c, e)
}

// unwrap strips secret and known-output wrappers; secret reports whether any was a secret.
func unwrap(v resource.PropertyValue) (inner resource.PropertyValue, secret bool) {
	for {
		switch {
		case v.IsSecret():
			secret = true
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			if v.OutputValue().Secret {
				secret = true
			}
			v = v.OutputValue().Element
		default:
			return v, secret
		}
	}
}

// isUnknown reports an unknown value (computed, or an output that is not known).
func isUnknown(v resource.PropertyValue) bool {
	v, _ = unwrap(v)
	return v.IsComputed() || v.IsOutput() && !v.OutputValue().Known
}

// toPlain converts properties to a JSON-like map for the API server. Unknown values are an
// error unless allowUnknown, in which case they are left out.
func toPlain(props resource.PropertyMap, allowUnknown bool) (map[string]interface{}, error) {
	v, err := plainValue(resource.NewObjectProperty(props), nil, allowUnknown)
	if err != nil {
		return nil, err
	}
	if m, ok := v.(map[string]interface{}); ok {
		return m, nil
	}
	return map[string]interface{}{}, nil
}

type omit struct{}

func plainValue(v resource.PropertyValue, at path, allowUnknown bool) (interface{}, error) {
	v, _ = unwrap(v)
	switch {
	case v.IsComputed() || v.IsOutput():
		if allowUnknown {
			return omit{}, nil
		}
		return nil, fmt.Errorf("property %s is not known yet", at)
	case v.IsNull():
		return nil, nil
	case v.IsBool():
		return v.BoolValue(), nil
	case v.IsNumber():
		f := v.NumberValue()
		if f == float64(int64(f)) {
			return int64(f), nil
		}
		return f, nil
	case v.IsString():
		return v.StringValue(), nil
	case v.IsArray():
		out := make([]interface{}, 0, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			pe, err := plainValue(e, at.child(i), allowUnknown)
			if err != nil {
				return nil, err
			}
			if _, skip := pe.(omit); !skip {
				out = append(out, pe)
			}
		}
		return out, nil
	case v.IsObject():
		out := map[string]interface{}{}
		for k, e := range v.ObjectValue() {
			pe, err := plainValue(e, at.child(string(k)), allowUnknown)
			if err != nil {
				return nil, err
			}
			if _, skip := pe.(omit); !skip {
				out[string(k)] = pe
			}
		}
		return out, nil
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		if id, ok := ref.IDString(); ok {
			return id, nil
		}
		return string(ref.URN), nil
	}
	return nil, fmt.Errorf("property %s: unsupported value of type %s", at, v.TypeString())
}

// fromPlain converts a JSON-like map (a live object) to properties.
func fromPlain(obj map[string]interface{}) resource.PropertyMap {
	return propertyValue(obj).ObjectValue()
}

func propertyValue(v interface{}) resource.PropertyValue {
	switch v := v.(type) {
	case nil:
		return resource.NewNullProperty()
	case bool:
		return resource.NewBoolProperty(v)
	case int64:
		return resource.NewNumberProperty(float64(v))
	case int:
		return resource.NewNumberProperty(float64(v))
	case int32:
		return resource.NewNumberProperty(float64(v))
	case float64:
		return resource.NewNumberProperty(v)
	case string:
		return resource.NewStringProperty(v)
	case []interface{}:
		arr := make([]resource.PropertyValue, len(v))
		for i, e := range v {
			arr[i] = propertyValue(e)
		}
		return resource.NewArrayProperty(arr)
	case map[string]interface{}:
		m := resource.PropertyMap{}
		for k, e := range v {
			m[resource.PropertyKey(k)] = propertyValue(e)
		}
		return resource.NewObjectProperty(m)
	}
	return resource.NewStringProperty(fmt.Sprint(v))
}

// secretPaths lists the paths of every secret value inside props.
func secretPaths(props resource.PropertyMap) []path {
	var out []path
	var walk func(v resource.PropertyValue, at path)
	walk = func(v resource.PropertyValue, at path) {
		inner, secret := unwrap(v)
		if secret {
			out = append(out, at)
			return
		}
		switch {
		case inner.IsArray():
			for i, e := range inner.ArrayValue() {
				walk(e, at.child(i))
			}
		case inner.IsObject():
			for k, e := range inner.ObjectValue() {
				walk(e, at.child(string(k)))
			}
		}
	}
	keys := props.StableKeys()
	for _, k := range keys {
		walk(props[k], path{string(k)})
	}
	return out
}

// markSecret makes the value at p inside props a secret, when it exists.
func markSecret(props resource.PropertyMap, p path) {
	if len(p) == 0 {
		return
	}
	key, ok := p[0].(string)
	if !ok {
		return
	}
	v, ok := props[resource.PropertyKey(key)]
	if !ok {
		return
	}
	props[resource.PropertyKey(key)] = markSecretValue(v, p[1:])
}

func markSecretValue(v resource.PropertyValue, rest path) resource.PropertyValue {
	if v.IsSecret() {
		return v
	}
	if len(rest) == 0 {
		return resource.MakeSecret(v)
	}
	switch e := rest[0].(type) {
	case int:
		if v.IsArray() && e < len(v.ArrayValue()) {
			arr := v.ArrayValue()
			arr[e] = markSecretValue(arr[e], rest[1:])
		}
	case string:
		if v.IsObject() {
			if inner, ok := v.ObjectValue()[resource.PropertyKey(e)]; ok {
				v.ObjectValue()[resource.PropertyKey(e)] = markSecretValue(inner, rest[1:])
			}
		}
	}
	return v
}

// outputsFor builds the outputs of a resource from its live object: every path that was a
// secret in the inputs stays a secret, and a Secret's data and stringData always are.
func outputsFor(live map[string]interface{}, inputs resource.PropertyMap, kind string) resource.PropertyMap {
	out := fromPlain(live)
	if kind == "Secret" {
		// The API server never returns stringData (it folds it into data); keep the input.
		if sd, ok := inputs["stringData"]; ok {
			out["stringData"] = sd
		}
		for _, k := range []resource.PropertyKey{"data", "stringData"} {
			if v, ok := out[k]; ok && !v.IsNull() {
				out[k] = resource.MakeSecret(v)
			}
		}
	}
	for _, p := range secretPaths(inputs) {
		markSecret(out, p)
	}
	return out
}

// sortedKeys returns the keys of a property map in a stable order.
func sortedKeys(m resource.PropertyMap) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	return keys
}
