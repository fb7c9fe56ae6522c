package main

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Diff compares old inputs with new inputs only (never with the live object), so fields the
// server fills in cannot make a second `pulumi up` report changes.

// change is one difference between old and new inputs.
type change struct {
	path path
	kind pulumirpc.PropertyDiff_Kind // ADD, DELETE or UPDATE (before replacement is decided)
}

// diffResult is what Diff reports.
type diffResult struct {
	changes             []change
	replaces            []string
	detailed            map[string]*pulumirpc.PropertyDiff
	deleteBeforeReplace bool
}

// diffInputs computes the changes between old and new inputs of an object of kind gvk and
// decides which of them need the object replaced.
func diffInputs(gvk schema.GroupVersionKind, olds, news resource.PropertyMap, ignoreChanges []string) diffResult {
	var res diffResult
	res.detailed = map[string]*pulumirpc.PropertyDiff{}
	var changes []change
	diffValues(resource.NewObjectProperty(olds), resource.NewObjectProperty(news), nil, &changes)
	for _, c := range changes {
		if ignored(c.path, ignoreChanges) {
			continue
		}
		res.changes = append(res.changes, c)
		kind := c.kind
		if needsReplace(gvk, c.path, olds, news) {
			res.replaces = append(res.replaces, c.path.String())
			switch kind {
			case pulumirpc.PropertyDiff_ADD:
				kind = pulumirpc.PropertyDiff_ADD_REPLACE
			case pulumirpc.PropertyDiff_DELETE:
				kind = pulumirpc.PropertyDiff_DELETE_REPLACE
			default:
				kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
			}
		}
		res.detailed[c.path.String()] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(res.replaces)
	if len(res.replaces) > 0 {
		// A replacement under the same name must delete first; an autonamed object gets a
		// fresh name when the engine checks it again for the replacement.
		oldMeta, newMeta := objectAt(olds, "metadata"), objectAt(news, "metadata")
		sameName := stringAt(oldMeta, "name") != "" && stringAt(oldMeta, "name") == stringAt(newMeta, "name") &&
			stringAt(oldMeta, "namespace") == stringAt(newMeta, "namespace")
		autonamed := stringAt(objectAt(newMeta, "annotations"), annotationAutonamed) == "true"
		res.deleteBeforeReplace = sameName && !autonamed
	}
	return res
}

// diffValues appends the differences between o and n at path at.
func diffValues(o, n resource.PropertyValue, at path, out *[]change) {
	if isUnknown(n) {
		*out = append(*out, change{at, pulumirpc.PropertyDiff_UPDATE})
		return
	}
	o, _ = unwrap(o)
	n, _ = unwrap(n)
	switch {
	case o.IsNull() && n.IsNull():
		return
	case o.IsNull():
		*out = append(*out, change{at, pulumirpc.PropertyDiff_ADD})
	case n.IsNull():
		*out = append(*out, change{at, pulumirpc.PropertyDiff_DELETE})
	case o.IsObject() && n.IsObject():
		om, nm := o.ObjectValue(), n.ObjectValue()
		keys := map[string]bool{}
		for k := range om {
			keys[string(k)] = true
		}
		for k := range nm {
			keys[string(k)] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			ov, ok := om[resource.PropertyKey(k)]
			if !ok {
				ov = resource.NewNullProperty()
			}
			nv, ok := nm[resource.PropertyKey(k)]
			if !ok {
				nv = resource.NewNullProperty()
			}
			diffValues(ov, nv, at.child(k), out)
		}
	case o.IsArray() && n.IsArray():
		oa, na := o.ArrayValue(), n.ArrayValue()
		for i := 0; i < len(oa) || i < len(na); i++ {
			switch {
			case i >= len(oa):
				*out = append(*out, change{at.child(i), pulumirpc.PropertyDiff_ADD})
			case i >= len(na):
				*out = append(*out, change{at.child(i), pulumirpc.PropertyDiff_DELETE})
			default:
				diffValues(oa[i], na[i], at.child(i), out)
			}
		}
	case o.IsComputed() || o.IsOutput():
		*out = append(*out, change{at, pulumirpc.PropertyDiff_UPDATE})
	default:
		if !o.DeepEquals(n) {
			*out = append(*out, change{at, pulumirpc.PropertyDiff_UPDATE})
		}
	}
}

// ignored reports whether p falls under one of the ignoreChanges paths.
func ignored(p path, ignoreChanges []string) bool {
	s := p.String()
	for _, ig := range ignoreChanges {
		if s == ig || strings.HasPrefix(s, ig+".") || strings.HasPrefix(s, ig+"[") {
			return true
		}
	}
	return false
}

// immutableFields lists, per kind, the input paths the API server will not change in place.
// "*" matches any one key or index. An entry matches a change at or below it.
var immutableFields = map[schema.GroupKind][]string{
	{Group: "batch", Kind: "Job"}:                                     {"spec.template", "spec.selector"},
	{Group: "apps", Kind: "StatefulSet"}:                              {"spec.selector", "spec.volumeClaimTemplates", "spec.serviceName", "spec.podManagementPolicy"},
	{Group: "apps", Kind: "Deployment"}:                               {"spec.selector"},
	{Group: "apps", Kind: "DaemonSet"}:                                {"spec.selector"},
	{Group: "apps", Kind: "ReplicaSet"}:                               {"spec.selector"},
	{Group: "", Kind: "Service"}:                                      {"spec.clusterIP", "spec.clusterIPs"},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:         {"roleRef"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:  {"roleRef"},
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                   {"provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"},
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                {"spec.controller"},
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: {"spec.scope"},
}

// needsReplace decides whether a change at p forces replacement of an object of kind gvk.
func needsReplace(gvk schema.GroupVersionKind, p path, olds, news resource.PropertyMap) bool {
	s := p.String()
	if under(s, "metadata.name") || under(s, "metadata.namespace") {
		return true
	}
	for _, f := range immutableFields[gvk.GroupKind()] {
		if under(s, f) {
			return true
		}
	}
	switch gvk.GroupKind() {
	case schema.GroupKind{Kind: "Service"}:
		// Switching to or from ExternalName changes what the object is.
		if under(s, "spec.type") {
			ot := stringAt(objectAt(olds, "spec"), "type")
			nt := stringAt(objectAt(news, "spec"), "type")
			return (ot == "ExternalName") != (nt == "ExternalName")
		}
	case schema.GroupKind{Kind: "PersistentVolumeClaim"}:
		// Only the requested size may grow in place.
		return under(s, "spec") && !under(s, "spec.resources.requests.storage")
	case schema.GroupKind{Kind: "Pod"}:
		// A pod's spec is immutable except images, activeDeadlineSeconds and tolerations.
		if !under(s, "spec") {
			return false
		}
		return !(matches(s, "spec.containers[*].image") || matches(s, "spec.initContainers[*].image") ||
			under(s, "spec.activeDeadlineSeconds") || under(s, "spec.tolerations"))
	case schema.GroupKind{Kind: "Secret"}, schema.GroupKind{Kind: "ConfigMap"}:
		// Immutable Secrets and ConfigMaps cannot change their data (nor become mutable).
		if stringOrBool(olds, "immutable") {
			return under(s, "data") || under(s, "stringData") || under(s, "binaryData") || under(s, "immutable")
		}
	}
	return false
}

// under reports whether path string s is field or below it.
func under(s, field string) bool {
	return s == field || strings.HasPrefix(s, field+".") || strings.HasPrefix(s, field+"[")
}

// matches compares s with a pattern where "[*]" matches any index, at or below the pattern.
func matches(s, pattern string) bool {
	parts := strings.Split(pattern, "[*]")
	rest := s
	for i, part := range parts {
		if !strings.HasPrefix(rest, part) {
			return false
		}
		rest = rest[len(part):]
		if i < len(parts)-1 {
			if !strings.HasPrefix(rest, "[") {
				return false
			}
			end := strings.Index(rest, "]")
			if end < 0 {
				return false
			}
			rest = rest[end+1:]
		}
	}
	return rest == "" || strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "[")
}

// stringOrBool reads a boolean input that may also arrive as "true".
func stringOrBool(m resource.PropertyMap, key string) bool {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return false
	}
	v, _ = unwrap(v)
	return v.IsBool() && v.BoolValue() || v.IsString() && v.StringValue() == "true"
}
