package main

import (
	"regexp"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func tableScope(gvk schema.GroupVersionKind) (bool, bool) { return scopeFromTable(gvk.GroupKind()) }

func deploymentInputs(meta map[string]interface{}) resource.PropertyMap {
	m := resource.NewPropertyMapFromMap(map[string]interface{}{
		"spec": map[string]interface{}{"replicas": 2},
	})
	if meta != nil {
		m["metadata"] = resource.NewObjectProperty(resource.NewPropertyMapFromMap(meta))
	}
	return m
}

func metaOf(t *testing.T, m resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	meta := objectAt(m, "metadata")
	if meta == nil {
		t.Fatalf("no metadata in %v", m)
	}
	return meta
}

func TestCheckFillsKindAndAutonames(t *testing.T) {
	opts := checkOptions{name: "web", randomSeed: []byte("seed-1"), namespaced: tableScope}
	got, err := checkInputs("kubernetes:apps/v1:Deployment", nil, deploymentInputs(nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	if stringAt(got, "apiVersion") != "apps/v1" || stringAt(got, "kind") != "Deployment" {
		t.Errorf("apiVersion/kind = %q/%q", stringAt(got, "apiVersion"), stringAt(got, "kind"))
	}
	meta := metaOf(t, got)
	name := stringAt(meta, "name")
	if !regexp.MustCompile(`^web-[a-z0-9]{8}$`).MatchString(name) {
		t.Errorf("autoname %q does not look like web-xxxxxxxx", name)
	}
	if stringAt(objectAt(meta, "annotations"), annotationAutonamed) != "true" {
		t.Error("autonamed objects carry the pulumi.com/autonamed annotation")
	}
	if stringAt(meta, "namespace") != "default" {
		t.Errorf("namespace = %q, want default", stringAt(meta, "namespace"))
	}

	// Same seed, same name (preview and update agree within a run).
	again, _ := checkInputs("kubernetes:apps/v1:Deployment", nil, deploymentInputs(nil), opts)
	if n := stringAt(metaOf(t, again), "name"); n != name {
		t.Errorf("same seed gave %q then %q", name, n)
	}

	// A later run (new seed) keeps the name from the old inputs.
	opts.randomSeed = []byte("seed-2")
	updated, err := checkInputs("kubernetes:apps/v1:Deployment", got, deploymentInputs(nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := stringAt(metaOf(t, updated), "name"); n != name {
		t.Errorf("update renamed the object: %q -> %q", name, n)
	}
	// ...and without old inputs (replacement) it picks a new one.
	replaced, _ := checkInputs("kubernetes:apps/v1:Deployment", nil, deploymentInputs(nil), opts)
	if n := stringAt(metaOf(t, replaced), "name"); n == name {
		t.Errorf("a replacement must get a fresh name, got %q again", n)
	}
}

func TestCheckKeepsExplicitNameAndNamespace(t *testing.T) {
	opts := checkOptions{name: "web", namespaced: tableScope, defaultNamespace: "apps"}
	got, err := checkInputs("kubernetes:core/v1:ConfigMap", nil,
		deploymentInputs(map[string]interface{}{"name": "cfg", "labels": map[string]interface{}{"a": "b"}}), opts)
	if err != nil {
		t.Fatal(err)
	}
	meta := metaOf(t, got)
	if stringAt(meta, "name") != "cfg" || stringAt(meta, "namespace") != "apps" {
		t.Errorf("name/namespace = %q/%q, want cfg/apps", stringAt(meta, "name"), stringAt(meta, "namespace"))
	}
	if objectAt(meta, "annotations") != nil {
		t.Error("explicitly named objects are not marked autonamed")
	}
	got, _ = checkInputs("kubernetes:core/v1:ConfigMap", nil,
		deploymentInputs(map[string]interface{}{"name": "cfg", "namespace": "other"}), opts)
	if ns := stringAt(metaOf(t, got), "namespace"); ns != "other" {
		t.Errorf("explicit namespace overwritten: %q", ns)
	}
}

func TestCheckClusterScopedAndCustomKinds(t *testing.T) {
	opts := checkOptions{name: "team", namespaced: tableScope}
	got, _ := checkInputs("kubernetes:core/v1:Namespace", nil, resource.PropertyMap{}, opts)
	if _, has := metaOf(t, got)["namespace"]; has {
		t.Error("a Namespace gets no namespace")
	}
	got, _ = checkInputs("kubernetes:cert-manager.io/v1:Certificate", nil, resource.PropertyMap{}, opts)
	if _, has := metaOf(t, got)["namespace"]; has {
		t.Error("custom kinds of unknown scope are left for Create to decide")
	}
}

func TestCheckKeepsSecretMetadataAndUnknowns(t *testing.T) {
	opts := checkOptions{name: "s", namespaced: tableScope}
	news := resource.PropertyMap{"metadata": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{
		"labels": resource.NewObjectProperty(resource.PropertyMap{"a": resource.NewStringProperty("b")}),
	}))}
	got, err := checkInputs("kubernetes:core/v1:Secret", nil, news, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !got["metadata"].IsSecret() {
		t.Error("secret metadata must stay secret")
	}
	unknownMeta := resource.PropertyMap{"metadata": resource.MakeComputed(resource.NewStringProperty(""))}
	got, err = checkInputs("kubernetes:core/v1:Secret", nil, unknownMeta, opts)
	if err != nil || !got["metadata"].IsComputed() {
		t.Errorf("unknown metadata must pass through: %v %v", got, err)
	}
	unknownName := resource.PropertyMap{"metadata": resource.NewObjectProperty(resource.PropertyMap{
		"name": resource.MakeComputed(resource.NewStringProperty("")),
	})}
	got, _ = checkInputs("kubernetes:core/v1:Secret", nil, unknownName, opts)
	if !metaOf(t, got)["name"].IsComputed() {
		t.Error("an unknown name is not replaced by an autoname")
	}
}

func TestRandomSuffix(t *testing.T) {
	a, b := randomSuffix([]byte("x"), 8), randomSuffix([]byte("x"), 8)
	if a != b || len(a) != 8 {
		t.Errorf("seeded suffixes differ or have the wrong length: %q %q", a, b)
	}
	if randomSuffix(nil, 8) == randomSuffix(nil, 8) {
		t.Error("unseeded suffixes should differ")
	}
}
