package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func kubeconfigFor(server string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ` + server + `
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
users:
- name: u
  user: {token: t}
`
}

func cfgProps(kubeconfig, clusterID string) resource.PropertyMap {
	m := resource.PropertyMap{
		"kubeconfig": resource.MakeSecret(resource.NewStringProperty(kubeconfig)),
		"version":    resource.NewStringProperty("4.32.0"),
	}
	if clusterID != "" {
		m["clusterIdentifier"] = resource.NewStringProperty(clusterID)
	}
	return m
}

func TestParseConfig(t *testing.T) {
	c, err := parseConfig(resource.PropertyMap{
		"kubeconfig":            resource.MakeSecret(resource.NewStringProperty("/tmp/kc")),
		"namespace":             resource.NewStringProperty("apps"),
		"enableServerSideApply": resource.NewStringProperty("true"),
		"deleteUnreachable":     resource.NewStringProperty("false"),
		"skipUpdateUnreachable": resource.NewBoolProperty(true),
		"helmReleaseSettings":   resource.NewStringProperty(`{"driver":"secret"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Kubeconfig != "/tmp/kc" || c.Namespace != "apps" || !c.EnableServerSideApply || c.DeleteUnreachable || !c.SkipUpdateUnreachable || c.Unknown {
		t.Errorf("parsed %+v", c)
	}
	c, _ = parseConfig(resource.PropertyMap{"kubeconfig": resource.MakeComputed(resource.NewStringProperty(""))})
	if !c.Unknown {
		t.Error("an unknown kubeconfig makes the configuration unknown")
	}
	if _, err := parseConfig(resource.PropertyMap{"deleteUnreachable": resource.NewStringProperty("maybe")}); err == nil {
		t.Error("a bad boolean is an error")
	}
}

func TestKubeconfigContents(t *testing.T) {
	if !looksLikeKubeconfig(kubeconfigFor("https://127.0.0.1:6443")) || !looksLikeKubeconfig(`{"apiVersion":"v1"}`) {
		t.Error("contents not recognised")
	}
	if looksLikeKubeconfig("/home/me/.kube/config") {
		t.Error("a path is not contents")
	}
	if got := activeCluster(kubeconfigFor("https://127.0.0.1:6443"), ""); got != "https://127.0.0.1:6443" {
		t.Errorf("activeCluster = %q", got)
	}
	rc, err := providerConfig{Kubeconfig: kubeconfigFor("https://127.0.0.1:6443")}.restConfig()
	if err != nil || rc.Host != "https://127.0.0.1:6443" || rc.BearerToken != "t" {
		t.Errorf("restConfig = %+v, %v", rc, err)
	}
}

func TestDiffConfig(t *testing.T) {
	a, b := kubeconfigFor("https://127.0.0.1:6443"), kubeconfigFor("https://127.0.0.1:7443")
	same := kubeconfigFor("https://127.0.0.1:6443") + "# new credentials\n"

	if d := diffConfig(cfgProps(a, ""), cfgProps(a, "")); len(d.changes) != 0 {
		t.Errorf("no change expected: %+v", d.changes)
	}
	// Another cluster without an identifier: replace.
	d := diffConfig(cfgProps(a, ""), cfgProps(b, ""))
	if len(d.replaces) != 1 || d.replaces[0] != "kubeconfig" {
		t.Errorf("a different cluster must replace: %+v", d)
	}
	// New credentials for the same cluster: update.
	if d := diffConfig(cfgProps(a, ""), cfgProps(same, "")); len(d.changes) == 0 || len(d.replaces) != 0 {
		t.Errorf("same cluster, new kubeconfig must update in place: %+v", d)
	}
	// With clusterIdentifier, only the identifier decides.
	d = diffConfig(cfgProps(a, "kuar-local-dev"), cfgProps(b, "kuar-local-dev"))
	if len(d.changes) == 0 || len(d.replaces) != 0 {
		t.Errorf("clusterIdentifier set: a kubeconfig change must not replace: %+v", d)
	}
	if diffResponse(d).Changes != pulumirpc.DiffResponse_DIFF_SOME {
		t.Error("the change is still reported")
	}
	d = diffConfig(cfgProps(a, "kuar-local-dev"), cfgProps(a, "kuar-local-prod"))
	if len(d.replaces) != 1 || d.replaces[0] != "clusterIdentifier" {
		t.Errorf("a new clusterIdentifier replaces: %+v", d)
	}
	// An unknown kubeconfig (preview before the cluster exists) does not force replacement.
	unknown := cfgProps(a, "")
	unknown["kubeconfig"] = resource.MakeComputed(resource.NewStringProperty(""))
	if d := diffConfig(cfgProps(a, ""), unknown); len(d.replaces) != 0 || len(d.changes) == 0 {
		t.Errorf("unknown kubeconfig: %+v", d)
	}
}
