package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// annotationAutonamed marks objects whose metadata.name the provider generated, as the real
// provider does, so the name is reused on updates and regenerated on replacement.
const annotationAutonamed = "pulumi.com/autonamed"

// checkOptions carries what Check needs besides the inputs.
type checkOptions struct {
	name             string // the Pulumi resource name
	randomSeed       []byte // engine-provided, so previews and retries agree within one run
	defaultNamespace string
	// namespaced answers whether a kind is namespaced; ok=false when it cannot tell yet
	// (a custom resource whose CRD is not installed), in which case Create decides.
	namespaced func(schema.GroupVersionKind) (namespaced, ok bool)
	// proposedName, when set, is used instead of the generated name (engine autonaming).
	proposedName string
	// noAutoname refuses objects without a name (engine autonaming disabled).
	noAutoname bool
}

// checkInputs validates and completes an object's inputs: apiVersion and kind from the type
// token, a stable generated metadata.name when absent, and the default namespace.
func checkInputs(token string, olds, news resource.PropertyMap, o checkOptions) (resource.PropertyMap, error) {
	gvk, err := tokenGVK(token)
	if err != nil {
		return nil, err
	}
	out := news.Copy()
	out["apiVersion"] = resource.NewStringProperty(apiVersion(gvk))
	out["kind"] = resource.NewStringProperty(gvk.Kind)

	metaV, ok := out["metadata"]
	if ok && isUnknown(metaV) {
		return out, nil // nothing to complete until metadata is known
	}
	var meta resource.PropertyMap
	metaSecret := false
	if ok && !metaV.IsNull() {
		inner, secret := unwrap(metaV)
		if !inner.IsObject() {
			return nil, fmt.Errorf("metadata must be an object, got %s", inner.TypeString())
		}
		meta, metaSecret = inner.ObjectValue().Copy(), secret
	} else {
		meta = resource.PropertyMap{}
	}

	if nameV, has := meta["name"]; !has || nameV.IsNull() || (nameV.IsString() && nameV.StringValue() == "") {
		name, err := chooseName(olds, meta, o)
		if err != nil {
			return nil, err
		}
		meta["name"] = resource.NewStringProperty(name)
		annotations := resource.PropertyMap{}
		if a, has := meta["annotations"]; has && !a.IsNull() {
			if isUnknown(a) {
				annotations = nil
			} else if inner, _ := unwrap(a); inner.IsObject() {
				annotations = inner.ObjectValue().Copy()
			}
		}
		if annotations != nil {
			annotations[annotationAutonamed] = resource.NewStringProperty("true")
			meta["annotations"] = resource.NewObjectProperty(annotations)
		}
	}

	if nsV, has := meta["namespace"]; !has || nsV.IsNull() || (nsV.IsString() && nsV.StringValue() == "") {
		if o.namespaced != nil {
			if namespaced, known := o.namespaced(gvk); known && namespaced {
				ns := o.defaultNamespace
				if ns == "" {
					ns = "default"
				}
				meta["namespace"] = resource.NewStringProperty(ns)
			}
		}
	}

	metaOut := resource.NewObjectProperty(meta)
	if metaSecret {
		metaOut = resource.MakeSecret(metaOut)
	}
	out["metadata"] = metaOut
	return out, nil
}

// chooseName reuses the generated name of the previous inputs, so updates keep the object;
// otherwise it generates <pulumi name>-<8 random lowercase letters and digits>.
func chooseName(olds, meta resource.PropertyMap, o checkOptions) (string, error) {
	if o.proposedName != "" {
		return o.proposedName, nil
	}
	if o.noAutoname {
		return "", fmt.Errorf("metadata.name is required: automatic naming is disabled for this resource")
	}
	if old := oldAutoname(olds); old != "" {
		return old, nil
	}
	prefix := o.name
	if gn, ok := meta["generateName"]; ok && gn.IsString() && gn.StringValue() != "" {
		prefix = gn.StringValue()
		if prefix[len(prefix)-1] == '-' {
			prefix = prefix[:len(prefix)-1]
		}
	}
	return prefix + "-" + randomSuffix(o.randomSeed, 8), nil
}

// oldAutoname returns the previous inputs' metadata.name when the provider generated it.
func oldAutoname(olds resource.PropertyMap) string {
	meta := objectAt(olds, "metadata")
	if meta == nil {
		return ""
	}
	ann := objectAt(meta, "annotations")
	if ann == nil || stringAt(ann, annotationAutonamed) != "true" {
		return ""
	}
	return stringAt(meta, "name")
}

const suffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomSuffix derives n lowercase alphanumerics from the engine's random seed (so every
// Check of a resource within one run agrees), or from crypto/rand without one.
func randomSuffix(seed []byte, n int) string {
	var src []byte
	if len(seed) > 0 {
		sum := sha256.Sum256(seed)
		src = sum[:]
	} else {
		src = make([]byte, 32)
		if _, err := rand.Read(src); err != nil {
			panic(err)
		}
	}
	out := make([]byte, n)
	for i := range out {
		out[i] = suffixAlphabet[int(src[i%len(src)])%len(suffixAlphabet)]
	}
	return string(out)
}

// objectAt returns the object at key, unwrapping secrets; nil when absent or not an object.
func objectAt(m resource.PropertyMap, key string) resource.PropertyMap {
	if m == nil {
		return nil
	}
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	v, _ = unwrap(v)
	if !v.IsObject() {
		return nil
	}
	return v.ObjectValue()
}

// stringAt returns the string at key, unwrapping secrets; "" when absent or not a string.
func stringAt(m resource.PropertyMap, key string) string {
	if m == nil {
		return ""
	}
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	v, _ = unwrap(v)
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}
