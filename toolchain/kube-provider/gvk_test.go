package main

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestTokenGVK(t *testing.T) {
	cases := map[string]schema.GroupVersionKind{
		"kubernetes:apps/v1:Deployment":                                        {Group: "apps", Version: "v1", Kind: "Deployment"},
		"kubernetes:core/v1:Secret":                                            {Version: "v1", Kind: "Secret"},
		"kubernetes:networking.k8s.io/v1:NetworkPolicy":                        {Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"},
		"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition":          {Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"},
		"kubernetes:cert-manager.io/v1:ClusterIssuer":                          {Group: "cert-manager.io", Version: "v1", Kind: "ClusterIssuer"},
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding":           {Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"},
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": {Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingAdmissionPolicy"},
	}
	for token, want := range cases {
		got, err := tokenGVK(token)
		if err != nil || got != want {
			t.Errorf("tokenGVK(%q) = %v, %v; want %v", token, got, err, want)
		}
	}
	if got := apiVersion(cases["kubernetes:core/v1:Secret"]); got != "v1" {
		t.Errorf("apiVersion(core/v1) = %q, want v1", got)
	}
	if got := apiVersion(cases["kubernetes:apps/v1:Deployment"]); got != "apps/v1" {
		t.Errorf("apiVersion(apps/v1) = %q, want apps/v1", got)
	}
}

func TestTokenGVKRefusesComponentsAndLists(t *testing.T) {
	for _, token := range []string{
		"kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release",
		"kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml:ConfigFile", "kubernetes:kustomize/v2:Directory",
		"kubernetes:apps/v1:DeploymentList",
	} {
		_, err := tokenGVK(token)
		if err == nil || !strings.Contains(err.Error(), "plain objects only") {
			t.Errorf("tokenGVK(%q): want a 'plain objects only' error, got %v", token, err)
		}
	}
	for _, token := range []string{"aws:s3/bucket:Bucket", "kubernetes:Deployment", "kubernetes:apps/v1:DeploymentPatch"} {
		if _, err := tokenGVK(token); err == nil {
			t.Errorf("tokenGVK(%q): want an error", token)
		}
	}
}

func TestScopeFromTable(t *testing.T) {
	for gk, want := range map[schema.GroupKind]bool{
		{Kind: "Namespace"}:                                       false,
		{Kind: "ConfigMap"}:                                       true,
		{Group: "apps", Kind: "StatefulSet"}:                      true,
		{Group: "storage.k8s.io", Kind: "StorageClass"}:           false,
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}: false,
		{Group: "rbac.authorization.k8s.io", Kind: "Role"}:        true,
	} {
		got, ok := scopeFromTable(gk)
		if !ok || got != want {
			t.Errorf("scopeFromTable(%v) = %v, %v; want %v", gk, got, ok, want)
		}
	}
	if _, ok := scopeFromTable(schema.GroupKind{Group: "cert-manager.io", Kind: "Certificate"}); ok {
		t.Error("custom resources must be left to discovery")
	}
}
