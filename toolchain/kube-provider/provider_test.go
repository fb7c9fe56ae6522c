package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

func mustStruct(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPluginInfoAndSchema(t *testing.T) {
	p := newProvider(nil)
	info, _ := p.GetPluginInfo(context.Background(), &emptypb.Empty{})
	if info.Version != version {
		t.Errorf("version = %q", info.Version)
	}
	s, err := p.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]interface{}
	if err := json.Unmarshal([]byte(s.Schema), &schema); err != nil || schema["name"] != "kubernetes" || schema["version"] != version {
		t.Errorf("schema %s: %v", s.Schema, err)
	}
	_, err = p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "kubernetes:helm:template"})
	if err == nil || !strings.Contains(err.Error(), "not supported by kuar's stand-in kubernetes provider") {
		t.Errorf("invoke: %v", err)
	}
	if _, err := p.Construct(context.Background(), &pulumirpc.ConstructRequest{Type: "kubernetes:helm.sh/v4:Chart"}); err == nil {
		t.Error("construct must fail")
	}
}

// A preview before the cluster exists: the kubeconfig is unknown, yet Check, Diff, Create
// (preview) and Read work without touching any cluster.
func TestPreviewWithUnknownKubeconfig(t *testing.T) {
	p := newProvider(nil)
	ctx := context.Background()
	args := mustStruct(t, resource.PropertyMap{
		"kubeconfig":        resource.MakeComputed(resource.NewStringProperty("")),
		"clusterIdentifier": resource.NewStringProperty("kuar-local-dev"),
	})
	resp, err := p.Configure(ctx, &pulumirpc.ConfigureRequest{Args: args, AcceptSecrets: true, AcceptResources: true})
	if err != nil || !resp.AcceptSecrets || !resp.SupportsPreview || !resp.AcceptResources {
		t.Fatalf("configure: %v %v", resp, err)
	}
	news := mustStruct(t, resource.PropertyMap{
		"metadata":   resource.NewObjectProperty(resource.PropertyMap{"namespace": resource.MakeComputed(resource.NewStringProperty(""))}),
		"stringData": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"k": resource.NewStringProperty("v")})),
	})
	checked, err := p.Check(ctx, &pulumirpc.CheckRequest{Urn: "urn:pulumi:dev::kuar::kubernetes:core/v1:Secret::creds",
		Type: "kubernetes:core/v1:Secret", Name: "creds", News: news, RandomSeed: []byte("s")})
	if err != nil {
		t.Fatal(err)
	}
	created, err := p.Create(ctx, &pulumirpc.CreateRequest{Type: "kubernetes:core/v1:Secret", Properties: checked.Inputs, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	outs, _ := plugin.UnmarshalProperties(created.Properties, unmarshalOpts)
	if !outs["stringData"].IsSecret() || !outs["status"].IsComputed() {
		t.Errorf("preview outputs: %v", outs)
	}
	if name := stringAt(objectAt(outs, "metadata"), "name"); !strings.HasPrefix(name, "creds-") {
		t.Errorf("autoname in preview: %q", name)
	}
	read, err := p.Read(ctx, &pulumirpc.ReadRequest{Id: "default/x", Type: "kubernetes:core/v1:Secret", Properties: checked.Inputs})
	if err != nil || read.Id != "default/x" {
		t.Errorf("read with unknown config must keep the state: %v %v", read, err)
	}
	if _, err := p.Create(ctx, &pulumirpc.CreateRequest{Type: "kubernetes:core/v1:Secret", Properties: checked.Inputs}); err == nil {
		t.Error("a real create needs a known kubeconfig")
	}
	diff, err := p.Diff(ctx, &pulumirpc.DiffRequest{Type: "kubernetes:core/v1:Secret", OldInputs: checked.Inputs, News: checked.Inputs})
	if err != nil || diff.Changes != pulumirpc.DiffResponse_DIFF_SOME { // the unknown namespace may change
		t.Errorf("diff: %v %v", diff, err)
	}
	if _, err := p.Check(ctx, &pulumirpc.CheckRequest{Type: "kubernetes:helm.sh/v3:Chart", News: news}); err == nil ||
		!strings.Contains(err.Error(), "plain objects only") {
		t.Errorf("helm charts must be refused clearly: %v", err)
	}
}

func TestConfigureFromVariables(t *testing.T) {
	p := newProvider(nil)
	_, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Variables: map[string]string{
		"kubernetes:config:namespace":         "apps",
		"kubernetes:config:deleteUnreachable": "true",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.currentConfig(); c.Namespace != "apps" || !c.DeleteUnreachable {
		t.Errorf("config = %+v", c)
	}
}
