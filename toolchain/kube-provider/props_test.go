package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestOutputsKeepSecretness(t *testing.T) {
	inputs := resource.PropertyMap{
		"kind": resource.NewStringProperty("Secret"),
		"metadata": resource.NewObjectProperty(resource.PropertyMap{
			"name":   resource.NewStringProperty("db"),
			"labels": resource.NewObjectProperty(resource.PropertyMap{"token": resource.MakeSecret(resource.NewStringProperty("x"))}),
		}),
		"stringData": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"password": resource.NewStringProperty("hunter2")})),
	}
	live := map[string]interface{}{
		"kind":     "Secret",
		"metadata": map[string]interface{}{"name": "db", "uid": "u", "labels": map[string]interface{}{"token": "x"}},
		"data":     map[string]interface{}{"password": "aHVudGVyMg=="},
	}
	out := outputsFor(live, inputs, "Secret")
	if !out["data"].IsSecret() || !out["stringData"].IsSecret() {
		t.Errorf("a Secret's data and stringData are secret: %v", out)
	}
	labels := objectAt(out, "metadata")["labels"].ObjectValue()
	if !labels["token"].IsSecret() {
		t.Error("a label that was a secret input stays secret")
	}
	if objectAt(out, "metadata")["uid"].IsSecret() {
		t.Error("server fields are not secret")
	}

	cm := outputsFor(map[string]interface{}{"data": map[string]interface{}{"a": "1"}},
		resource.PropertyMap{"data": resource.NewObjectProperty(resource.PropertyMap{"a": resource.NewStringProperty("1")})}, "ConfigMap")
	if cm["data"].IsSecret() {
		t.Error("a ConfigMap's plain data stays plain")
	}
}

func TestPlainRoundTrip(t *testing.T) {
	in := resource.PropertyMap{
		"spec": resource.NewObjectProperty(resource.PropertyMap{
			"replicas": resource.NewNumberProperty(3),
			"ratio":    resource.NewNumberProperty(0.5),
			"args":     resource.NewArrayProperty([]resource.PropertyValue{resource.MakeSecret(resource.NewStringProperty("s"))}),
		}),
	}
	plain, err := toPlain(in, false)
	if err != nil {
		t.Fatal(err)
	}
	spec := plain["spec"].(map[string]interface{})
	if spec["replicas"] != int64(3) || spec["ratio"] != 0.5 || spec["args"].([]interface{})[0] != "s" {
		t.Errorf("plain = %v", plain)
	}
	in["x"] = resource.MakeComputed(resource.NewStringProperty(""))
	if _, err := toPlain(in, false); err == nil {
		t.Error("unknowns cannot be applied")
	}
	if back := fromPlain(plain); !back.DeepEquals(resource.PropertyMap{
		"spec": resource.NewObjectProperty(resource.PropertyMap{
			"replicas": resource.NewNumberProperty(3), "ratio": resource.NewNumberProperty(0.5),
			"args": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("s")}),
		}),
	}) {
		t.Errorf("round trip: %v", back)
	}
}
