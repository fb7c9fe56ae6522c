//go:build integration

// The integration test drives this provider through the real Pulumi engine (the CLI, via
// the Automation API with an inline Go program, so no language host plugin is needed)
// against a real API server. Run it with:
//
//	KP_KUBECONFIG=<kubeconfig of a throwaway cluster on 127.0.0.1> \
//	KP_PLUGIN=<built pulumi-resource-kubernetes> KP_PULUMI_ROOT=<dir with bin/pulumi> \
//	go test -tags integration -run TestEngine -v -timeout 30m
package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type object struct {
	pulumi.CustomResourceState
	Metadata   pulumi.MapOutput `pulumi:"metadata"`
	Status     pulumi.MapOutput `pulumi:"status"`
	StringData pulumi.MapOutput `pulumi:"stringData"`
}

type kubeProviderResource struct{ pulumi.ProviderResourceState }

func field(m pulumi.MapOutput, key string) pulumi.StringOutput {
	return m.ApplyT(func(v map[string]interface{}) string { s, _ := v[key].(string); return s }).(pulumi.StringOutput)
}

// program builds a namespace with a ConfigMap, a Secret, a Deployment behind a Service, a
// StatefulSet with a claim template behind a headless Service, a PVC and a Job.
func program(kubeconfig, configValue string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		prov := &kubeProviderResource{}
		if err := ctx.RegisterResource("pulumi:providers:kubernetes", "kp", pulumi.Map{
			"kubeconfig":        pulumi.ToSecret(pulumi.String(kubeconfig)),
			"clusterIdentifier": pulumi.String("kp-test"),
		}, prov, pulumi.Version("4.32.0")); err != nil {
			return err
		}
		reg := func(token, name string, props pulumi.Map, deps ...pulumi.Resource) (*object, error) {
			o := &object{}
			err := ctx.RegisterResource(token, name, props, o, pulumi.Provider(prov), pulumi.DependsOn(deps), pulumi.Version("4.32.0"))
			return o, err
		}
		ns, err := reg("kubernetes:core/v1:Namespace", "kp", pulumi.Map{})
		if err != nil {
			return err
		}
		nsName := field(ns.Metadata, "name")
		meta := func(extra pulumi.Map) pulumi.Map {
			m := pulumi.Map{"namespace": nsName}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		labels := pulumi.StringMap{"app": pulumi.String("web")}
		if _, err := reg("kubernetes:core/v1:ConfigMap", "settings", pulumi.Map{
			"metadata": meta(nil), "data": pulumi.StringMap{"value": pulumi.String(configValue)},
		}); err != nil {
			return err
		}
		secret, err := reg("kubernetes:core/v1:Secret", "creds", pulumi.Map{
			"metadata":   meta(nil),
			"stringData": pulumi.ToSecret(pulumi.StringMap{"password": pulumi.String("hunter2")}),
		})
		if err != nil {
			return err
		}
		podSpec := func(l pulumi.StringMap) pulumi.Map {
			return pulumi.Map{
				"metadata": pulumi.Map{"labels": l},
				"spec": pulumi.Map{"containers": pulumi.Array{pulumi.Map{
					"name": pulumi.String("main"), "image": pulumi.String("registry.k8s.io/pause:3.10"),
				}}},
			}
		}
		deploy, err := reg("kubernetes:apps/v1:Deployment", "web", pulumi.Map{
			"metadata": meta(nil),
			"spec": pulumi.Map{
				"replicas": pulumi.Int(2),
				"selector": pulumi.Map{"matchLabels": labels},
				"template": podSpec(labels),
			},
		})
		if err != nil {
			return err
		}
		if _, err := reg("kubernetes:core/v1:Service", "web", pulumi.Map{
			"metadata": meta(nil),
			"spec":     pulumi.Map{"selector": labels, "ports": pulumi.Array{pulumi.Map{"port": pulumi.Int(80)}}},
		}); err != nil {
			return err
		}
		dbLabels := pulumi.StringMap{"app": pulumi.String("db")}
		headless, err := reg("kubernetes:core/v1:Service", "db", pulumi.Map{
			"metadata": meta(nil),
			"spec": pulumi.Map{"clusterIP": pulumi.String("None"), "selector": dbLabels,
				"ports": pulumi.Array{pulumi.Map{"port": pulumi.Int(5432)}}},
		})
		if err != nil {
			return err
		}
		if _, err := reg("kubernetes:apps/v1:StatefulSet", "db", pulumi.Map{
			"metadata": meta(nil),
			"spec": pulumi.Map{
				"replicas":    pulumi.Int(1),
				"serviceName": field(headless.Metadata, "name"),
				"selector":    pulumi.Map{"matchLabels": dbLabels},
				"template":    podSpec(dbLabels),
				"volumeClaimTemplates": pulumi.Array{pulumi.Map{
					"metadata": pulumi.Map{"name": pulumi.String("data")},
					"spec": pulumi.Map{
						"accessModes": pulumi.StringArray{pulumi.String("ReadWriteOnce")},
						"resources":   pulumi.Map{"requests": pulumi.StringMap{"storage": pulumi.String("1Gi")}},
					},
				}},
			},
		}); err != nil {
			return err
		}
		if _, err := reg("kubernetes:core/v1:PersistentVolumeClaim", "scratch", pulumi.Map{
			"metadata": meta(nil),
			"spec": pulumi.Map{
				"accessModes": pulumi.StringArray{pulumi.String("ReadWriteOnce")},
				"resources":   pulumi.Map{"requests": pulumi.StringMap{"storage": pulumi.String("1Gi")}},
			},
		}); err != nil {
			return err
		}
		jobLabels := pulumi.StringMap{"job": pulumi.String("migrate")}
		jobTemplate := podSpec(jobLabels)
		jobTemplate["spec"].(pulumi.Map)["restartPolicy"] = pulumi.String("Never")
		if _, err := reg("kubernetes:batch/v1:Job", "migrate", pulumi.Map{
			"metadata": meta(nil),
			"spec":     pulumi.Map{"template": jobTemplate, "backoffLimit": pulumi.Int(1)},
		}); err != nil {
			return err
		}
		// A CRD and an object of its kind in the same update: the kind appears in discovery
		// only after the CRD is established. The object gets the default namespace.
		crd, err := reg("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "widgets", pulumi.Map{
			"metadata": pulumi.Map{"name": pulumi.String("widgets.kp.kuar.dev")},
			"spec": pulumi.Map{
				"group": pulumi.String("kp.kuar.dev"),
				"names": pulumi.Map{"kind": pulumi.String("Widget"), "plural": pulumi.String("widgets"), "singular": pulumi.String("widget")},
				"scope": pulumi.String("Namespaced"),
				"versions": pulumi.Array{pulumi.Map{
					"name": pulumi.String("v1"), "served": pulumi.Bool(true), "storage": pulumi.Bool(true),
					"schema": pulumi.Map{"openAPIV3Schema": pulumi.Map{
						"type": pulumi.String("object"),
						"properties": pulumi.Map{"spec": pulumi.Map{"type": pulumi.String("object"),
							"x-kubernetes-preserve-unknown-fields": pulumi.Bool(true)}},
					}},
				}},
			},
		})
		if err != nil {
			return err
		}
		if _, err := reg("kubernetes:kp.kuar.dev/v1:Widget", "gadget", pulumi.Map{
			"spec": pulumi.Map{"size": pulumi.Int(3)},
		}, crd); err != nil {
			return err
		}
		ctx.Export("namespace", nsName)
		ctx.Export("readyReplicas", deploy.Status.ApplyT(func(s map[string]interface{}) interface{} { return s["readyReplicas"] }))
		ctx.Export("password", secret.StringData)
		return nil
	}
}

// engineEnv installs the plugin into a fresh PULUMI_HOME and returns a stack factory.
func engineEnv(t *testing.T, ctx context.Context) (kubeconfig string, stackFor func(pulumi.RunFunc) auto.Stack) {
	kubeconfigPath, plugin, root := os.Getenv("KP_KUBECONFIG"), os.Getenv("KP_PLUGIN"), os.Getenv("KP_PULUMI_ROOT")
	if kubeconfigPath == "" || plugin == "" || root == "" {
		t.Skip("set KP_KUBECONFIG, KP_PLUGIN and KP_PULUMI_ROOT")
	}
	kcBytes, err := os.ReadFile(kubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	home, state := t.TempDir(), t.TempDir()
	env := map[string]string{
		"PULUMI_HOME": home, "PULUMI_CONFIG_PASSPHRASE": "test", "PULUMI_SKIP_UPDATE_CHECK": "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
	install := exec.Command(filepath.Join(root, "bin", "pulumi"), "plugin", "install", "resource", "kubernetes", "v4.32.0", "--file", plugin)
	install.Env = append(os.Environ(), "PULUMI_HOME="+home, "PULUMI_SKIP_UPDATE_CHECK=true")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("plugin install: %v\n%s", err, out)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	project := workspace.Project{Name: tokens.PackageName("kp-it"), Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Backend: &workspace.ProjectBackend{URL: "file://" + state}}
	return string(kcBytes), func(prog pulumi.RunFunc) auto.Stack {
		s, err := auto.UpsertStackInlineSource(ctx, "it", "kp-it", prog,
			auto.Pulumi(cmd), auto.Project(project), auto.EnvVars(env), auto.PulumiHome(home))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func TestEngine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	kubeconfig, newStack := engineEnv(t, ctx)
	stackFor := func(value string) auto.Stack { return newStack(program(kubeconfig, value)) }
	logw := testWriter{t}

	stack := stackFor("one")
	if _, err := stack.Preview(ctx, optpreview.ProgressStreams(logw)); err != nil {
		t.Fatalf("preview: %v", err)
	}
	start := time.Now()
	up, err := stack.Up(ctx, optup.ProgressStreams(logw))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("first up took %s: %v", time.Since(start).Round(time.Second), *up.Summary.ResourceChanges)
	if rr := up.Outputs["readyReplicas"].Value; rr != float64(2) {
		t.Errorf("readyReplicas = %v, want 2 (the provider awaits readiness)", rr)
	}
	if !up.Outputs["password"].Secret {
		t.Error("the Secret's stringData output must be secret")
	}
	namespace, _ := up.Outputs["namespace"].Value.(string)

	start = time.Now()
	again, err := stack.Up(ctx, optup.ProgressStreams(logw))
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	t.Logf("second up took %s: %v", time.Since(start).Round(time.Second), *again.Summary.ResourceChanges)
	for op, n := range *again.Summary.ResourceChanges {
		if op != "same" && n > 0 {
			t.Errorf("second up must change nothing, got %d %s", n, op)
		}
	}

	stack = stackFor("two")
	changed, err := stack.Up(ctx, optup.ProgressStreams(logw))
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if got := (*changed.Summary.ResourceChanges)["update"]; got != 1 {
		t.Errorf("changing the ConfigMap must update exactly one resource, got %v", *changed.Summary.ResourceChanges)
	}

	if _, err := stack.Destroy(ctx, optdestroy.ProgressStreams(logw)); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	c, err := newCluster(providerConfig{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, namespace, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s must be gone after destroy, got %v", namespace, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// An object that never becomes ready fails the update after its custom timeout, yet is
// recorded in the state, so destroy removes it.
func TestEngineTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	kubeconfig, newStack := engineEnv(t, ctx)
	stack := newStack(func(ctx *pulumi.Context) error {
		prov := &kubeProviderResource{}
		if err := ctx.RegisterResource("pulumi:providers:kubernetes", "kp", pulumi.Map{
			"kubeconfig": pulumi.ToSecret(pulumi.String(kubeconfig)),
		}, prov, pulumi.Version("4.32.0")); err != nil {
			return err
		}
		labels := pulumi.StringMap{"app": pulumi.String("stuck")}
		return ctx.RegisterResource("kubernetes:apps/v1:Deployment", "stuck", pulumi.Map{
			"spec": pulumi.Map{
				"selector": pulumi.Map{"matchLabels": labels},
				"template": pulumi.Map{
					"metadata": pulumi.Map{"labels": labels},
					"spec": pulumi.Map{
						"nodeSelector": pulumi.StringMap{"kuar.dev/no-such-node": pulumi.String("true")},
						"containers":   pulumi.Array{pulumi.Map{"name": pulumi.String("main"), "image": pulumi.String("registry.k8s.io/pause:3.10")}},
					},
				},
			},
		}, &object{}, pulumi.Provider(prov), pulumi.Version("4.32.0"),
			pulumi.Timeouts(&pulumi.CustomTimeouts{Create: "8s", Update: "8s"}))
	})
	logw := testWriter{t}
	start := time.Now()
	_, err := stack.Up(ctx, optup.ProgressStreams(logw))
	if err == nil || !strings.Contains(err.Error(), "did not become ready before the timeout") {
		t.Fatalf("want a timeout error, got %v", err)
	}
	if took := time.Since(start); took > 90*time.Second {
		t.Errorf("the 8s timeout took %s", took)
	}
	state, err := stack.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(state.Deployment), "kubernetes:apps/v1:Deployment") {
		t.Error("the applied but unready Deployment must be in the state")
	}
	if _, err := stack.Destroy(ctx, optdestroy.ProgressStreams(logw)); err != nil {
		t.Fatalf("destroy: %v", err)
	}
}
