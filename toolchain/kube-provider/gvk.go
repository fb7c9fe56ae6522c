package main

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// tokenGVK turns a resource type token of the kubernetes package into the object's
// GroupVersionKind: "kubernetes:apps/v1:Deployment" -> apps/v1 Deployment,
// "kubernetes:core/v1:Secret" -> v1 Secret. Component and list types are refused: this
// stand-in serves plain objects only.
func tokenGVK(token string) (schema.GroupVersionKind, error) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" || parts[1] == "" || parts[2] == "" {
		return schema.GroupVersionKind{}, fmt.Errorf("unexpected resource type %q: want kubernetes:<group>/<version>:<Kind>", token)
	}
	module, kind := parts[1], parts[2]
	if unsupportedModule(module) {
		return schema.GroupVersionKind{}, unsupportedError(token)
	}
	slash := strings.LastIndex(module, "/")
	if slash <= 0 || slash == len(module)-1 {
		return schema.GroupVersionKind{}, fmt.Errorf("unexpected resource type %q: want kubernetes:<group>/<version>:<Kind>", token)
	}
	group, version := module[:slash], module[slash+1:]
	if group == "core" {
		group = ""
	}
	if strings.HasSuffix(kind, "List") {
		return schema.GroupVersionKind{}, unsupportedError(token)
	}
	if strings.HasSuffix(kind, "Patch") {
		return schema.GroupVersionKind{}, fmt.Errorf("%s: Patch resources are not supported by kuar's stand-in kubernetes provider (it serves plain objects only); install the real plugin with `pulumi plugin install resource kubernetes v4.32.0`", token)
	}
	return schema.GroupVersionKind{Group: group, Version: version, Kind: kind}, nil
}

// unsupportedModule reports the component modules of the kubernetes package (Helm, YAML,
// Kustomize) whose resources are rendered by the real provider, not applied as one object.
func unsupportedModule(module string) bool {
	for _, m := range []string{"helm.sh", "yaml", "kustomize"} {
		if module == m || strings.HasPrefix(module, m+"/") {
			return true
		}
	}
	return false
}

func unsupportedError(token string) error {
	return fmt.Errorf("%s is not supported by kuar's stand-in kubernetes provider: it serves plain objects only "+
		"(no Helm charts, YAML/Kustomize components or List types); install the real plugin with "+
		"`pulumi plugin install resource kubernetes v4.32.0` where the internet is reachable", token)
}

// apiVersion renders group and version the way objects carry them ("v1", "apps/v1").
func apiVersion(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String()
}

// clusterScoped lists the built-in kinds that live outside namespaces, so Check can decide
// about the default namespace without asking the cluster (which may not exist yet during a
// preview). Other kinds (custom resources) are resolved through discovery at apply time.
var clusterScoped = map[schema.GroupKind]bool{
	{Group: "", Kind: "Namespace"}:                                                    true,
	{Group: "", Kind: "Node"}:                                                         true,
	{Group: "", Kind: "PersistentVolume"}:                                             true,
	{Group: "", Kind: "ComponentStatus"}:                                              true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
	{Group: "storage.k8s.io", Kind: "VolumeAttributesClass"}:                          true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "networking.k8s.io", Kind: "IPAddress"}:                                   true,
	{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                                 true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle"}:                        true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
	{Group: "resource.k8s.io", Kind: "DeviceClass"}:                                   true,
	{Group: "resource.k8s.io", Kind: "ResourceSlice"}:                                 true,
	{Group: "storagemigration.k8s.io", Kind: "StorageVersionMigration"}:               true,
	{Group: "internal.apiserver.k8s.io", Kind: "StorageVersion"}:                      true,
	{Group: "authentication.k8s.io", Kind: "TokenReview"}:                             true,
	{Group: "authentication.k8s.io", Kind: "SelfSubjectReview"}:                       true,
	{Group: "authorization.k8s.io", Kind: "SubjectAccessReview"}:                      true,
	{Group: "authorization.k8s.io", Kind: "SelfSubjectAccessReview"}:                  true,
	{Group: "authorization.k8s.io", Kind: "SelfSubjectRulesReview"}:                   true,
}

// knownNamespaced lists the built-in API groups whose remaining kinds are all namespaced.
var knownNamespacedGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true,
	"networking.k8s.io": true, "rbac.authorization.k8s.io": true, "discovery.k8s.io": true,
	"coordination.k8s.io": true, "events.k8s.io": true, "storage.k8s.io": true,
	"resource.k8s.io": true,
}

// scopeFromTable answers whether a kind is namespaced from the built-in tables; ok is false
// for kinds only discovery can answer (custom resources).
func scopeFromTable(gk schema.GroupKind) (namespaced, ok bool) {
	if clusterScoped[gk] {
		return false, true
	}
	if knownNamespacedGroups[gk.Group] {
		return true, true
	}
	return false, false
}
