package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func props(m map[string]interface{}) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

func gvkOf(t *testing.T, token string) schema.GroupVersionKind {
	t.Helper()
	g, err := tokenGVK(token)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func named(name string, rest map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{"metadata": map[string]interface{}{"name": name, "namespace": "default"}}
	for k, v := range rest {
		out[k] = v
	}
	return out
}

func deployment(image string, selector string) map[string]interface{} {
	return named("web", map[string]interface{}{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"spec": map[string]interface{}{
			"replicas": 2,
			"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"app": selector}},
			"template": map[string]interface{}{
				"metadata": map[string]interface{}{"labels": map[string]interface{}{"app": selector}},
				"spec": map[string]interface{}{"containers": []interface{}{
					map[string]interface{}{"name": "web", "image": image},
				}},
			},
		},
	})
}

func TestDiffNoChanges(t *testing.T) {
	d := diffInputs(gvkOf(t, "kubernetes:apps/v1:Deployment"), props(deployment("a", "web")), props(deployment("a", "web")), nil)
	if len(d.changes) != 0 || diffResponse(d).Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("identical inputs must diff to DIFF_NONE, got %+v", d.changes)
	}
	// Secretness alone and nulls that mean "absent" are not changes.
	a := props(named("s", map[string]interface{}{"data": map[string]interface{}{"k": "dg=="}}))
	b := a.Copy()
	b["data"] = resource.MakeSecret(b["data"])
	b["type"] = resource.NewNullProperty()
	if d := diffInputs(gvkOf(t, "kubernetes:core/v1:Secret"), a, b, nil); len(d.changes) != 0 {
		t.Errorf("secret wrapping or null must not be a change: %+v", d.changes)
	}
}

func TestDiffUpdateInPlace(t *testing.T) {
	d := diffInputs(gvkOf(t, "kubernetes:apps/v1:Deployment"), props(deployment("a", "web")), props(deployment("b", "web")), nil)
	path := "spec.template.spec.containers[0].image"
	if len(d.replaces) != 0 || d.detailed[path] == nil || d.detailed[path].Kind != pulumirpc.PropertyDiff_UPDATE {
		t.Errorf("an image change is an in-place update: %+v %v", d.detailed, d.replaces)
	}
	resp := diffResponse(d)
	if resp.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(resp.Diffs) != 1 || resp.Diffs[0] != "spec" {
		t.Errorf("response: %+v", resp)
	}
}

func TestDiffReplacements(t *testing.T) {
	cases := []struct {
		name       string
		token      string
		old, new   map[string]interface{}
		wantPath   string
		wantDBR    bool
		wantNoRepl bool
	}{
		{name: "deployment selector", token: "kubernetes:apps/v1:Deployment",
			old: deployment("a", "web"), new: deployment("a", "api"), wantPath: "spec.selector.matchLabels.app", wantDBR: true},
		{name: "rename", token: "kubernetes:core/v1:ConfigMap",
			old: named("a", nil), new: named("b", nil), wantPath: "metadata.name"},
		{name: "job template", token: "kubernetes:batch/v1:Job",
			old:      named("j", map[string]interface{}{"spec": map[string]interface{}{"template": map[string]interface{}{"x": 1}}}),
			new:      named("j", map[string]interface{}{"spec": map[string]interface{}{"template": map[string]interface{}{"x": 2}}}),
			wantPath: "spec.template.x", wantDBR: true},
		{name: "job parallelism", token: "kubernetes:batch/v1:Job",
			old: named("j", map[string]interface{}{"spec": map[string]interface{}{"parallelism": 1}}),
			new: named("j", map[string]interface{}{"spec": map[string]interface{}{"parallelism": 2}}), wantNoRepl: true},
		{name: "statefulset claims", token: "kubernetes:apps/v1:StatefulSet",
			old:      named("s", map[string]interface{}{"spec": map[string]interface{}{"volumeClaimTemplates": []interface{}{"a"}}}),
			new:      named("s", map[string]interface{}{"spec": map[string]interface{}{"volumeClaimTemplates": []interface{}{"b"}}}),
			wantPath: "spec.volumeClaimTemplates[0]", wantDBR: true},
		{name: "statefulset service name", token: "kubernetes:apps/v1:StatefulSet",
			old:      named("s", map[string]interface{}{"spec": map[string]interface{}{"serviceName": "a"}}),
			new:      named("s", map[string]interface{}{"spec": map[string]interface{}{"serviceName": "b"}}),
			wantPath: "spec.serviceName", wantDBR: true},
		{name: "statefulset replicas", token: "kubernetes:apps/v1:StatefulSet",
			old: named("s", map[string]interface{}{"spec": map[string]interface{}{"replicas": 1}}),
			new: named("s", map[string]interface{}{"spec": map[string]interface{}{"replicas": 3}}), wantNoRepl: true},
		{name: "pvc grows", token: "kubernetes:core/v1:PersistentVolumeClaim",
			old:        named("c", map[string]interface{}{"spec": map[string]interface{}{"resources": map[string]interface{}{"requests": map[string]interface{}{"storage": "1Gi"}}}}),
			new:        named("c", map[string]interface{}{"spec": map[string]interface{}{"resources": map[string]interface{}{"requests": map[string]interface{}{"storage": "2Gi"}}}}),
			wantNoRepl: true},
		{name: "pvc class", token: "kubernetes:core/v1:PersistentVolumeClaim",
			old:      named("c", map[string]interface{}{"spec": map[string]interface{}{"storageClassName": "a"}}),
			new:      named("c", map[string]interface{}{"spec": map[string]interface{}{"storageClassName": "b"}}),
			wantPath: "spec.storageClassName", wantDBR: true},
		{name: "service to ExternalName", token: "kubernetes:core/v1:Service",
			old:      named("s", map[string]interface{}{"spec": map[string]interface{}{"type": "ClusterIP"}}),
			new:      named("s", map[string]interface{}{"spec": map[string]interface{}{"type": "ExternalName"}}),
			wantPath: "spec.type", wantDBR: true},
		{name: "service to NodePort", token: "kubernetes:core/v1:Service",
			old: named("s", map[string]interface{}{"spec": map[string]interface{}{"type": "ClusterIP"}}),
			new: named("s", map[string]interface{}{"spec": map[string]interface{}{"type": "NodePort"}}), wantNoRepl: true},
		{name: "service cluster IP", token: "kubernetes:core/v1:Service",
			old:      named("s", map[string]interface{}{"spec": map[string]interface{}{"clusterIP": "10.0.0.1"}}),
			new:      named("s", map[string]interface{}{"spec": map[string]interface{}{"clusterIP": "10.0.0.2"}}),
			wantPath: "spec.clusterIP", wantDBR: true},
		{name: "immutable configmap", token: "kubernetes:core/v1:ConfigMap",
			old:      named("c", map[string]interface{}{"immutable": true, "data": map[string]interface{}{"a": "1"}}),
			new:      named("c", map[string]interface{}{"immutable": true, "data": map[string]interface{}{"a": "2"}}),
			wantPath: "data.a", wantDBR: true},
		{name: "mutable secret", token: "kubernetes:core/v1:Secret",
			old: named("c", map[string]interface{}{"stringData": map[string]interface{}{"a": "1"}}),
			new: named("c", map[string]interface{}{"stringData": map[string]interface{}{"a": "2"}}), wantNoRepl: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := diffInputs(gvkOf(t, c.token), props(c.old), props(c.new), nil)
			if len(d.changes) == 0 {
				t.Fatal("no changes found")
			}
			if c.wantNoRepl {
				if len(d.replaces) != 0 {
					t.Errorf("unexpected replacement: %v", d.replaces)
				}
				return
			}
			pd := d.detailed[c.wantPath]
			if pd == nil || pd.Kind != pulumirpc.PropertyDiff_UPDATE_REPLACE {
				t.Errorf("want UPDATE_REPLACE at %s, got %+v", c.wantPath, d.detailed)
			}
			if d.deleteBeforeReplace != c.wantDBR {
				t.Errorf("deleteBeforeReplace = %v, want %v", d.deleteBeforeReplace, c.wantDBR)
			}
		})
	}
}

func TestDiffAutonamedReplacementCreatesFirst(t *testing.T) {
	mk := func(sel string) resource.PropertyMap {
		d := deployment("a", sel)
		d["metadata"].(map[string]interface{})["annotations"] = map[string]interface{}{annotationAutonamed: "true"}
		return props(d)
	}
	d := diffInputs(gvkOf(t, "kubernetes:apps/v1:Deployment"), mk("web"), mk("api"), nil)
	if len(d.replaces) == 0 || d.deleteBeforeReplace {
		t.Errorf("autonamed objects are replaced create-first: replaces=%v dbr=%v", d.replaces, d.deleteBeforeReplace)
	}
}

func TestDiffUnknownsAndIgnoreChanges(t *testing.T) {
	olds := props(deployment("a", "web"))
	news := props(deployment("a", "web"))
	news["metadata"].ObjectValue()["name"] = resource.MakeComputed(resource.NewStringProperty(""))
	d := diffInputs(gvkOf(t, "kubernetes:apps/v1:Deployment"), olds, news, nil)
	if pd := d.detailed["metadata.name"]; pd == nil || pd.Kind != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("an unknown name may change: want replace, got %+v", d.detailed)
	}
	d = diffInputs(gvkOf(t, "kubernetes:apps/v1:Deployment"), props(deployment("a", "web")), props(deployment("b", "web")),
		[]string{"spec.template"})
	if len(d.changes) != 0 {
		t.Errorf("ignoreChanges must hide the change: %+v", d.changes)
	}
}

func TestPathString(t *testing.T) {
	p := path{"metadata", "annotations", "pulumi.com/skipAwait"}
	if got := p.String(); got != `metadata.annotations["pulumi.com/skipAwait"]` {
		t.Errorf("path = %s", got)
	}
	if got := (path{"spec", "containers", 0, "image"}).String(); got != "spec.containers[0].image" {
		t.Errorf("path = %s", got)
	}
	if !matches("spec.containers[3].image", "spec.containers[*].image") || matches("spec.containers[3].name", "spec.containers[*].image") {
		t.Error("wildcard matching")
	}
}
