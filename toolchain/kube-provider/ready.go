package main

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Readiness predicates: pure functions of a live object (plus, for a few kinds, facts looked
// up elsewhere and passed in). Each returns whether the object is ready, a short progress
// message, and an error when it can never become ready (a failed Job).

// readyFacts are the facts some predicates need besides the object itself.
type readyFacts struct {
	// pvcWaitsForConsumer: the claim's StorageClass binds only when a pod uses the claim.
	pvcWaitsForConsumer bool
	// readyEndpoints: ready addresses in the Service's EndpointSlices.
	readyEndpoints int
}

// readyFunc is a readiness predicate.
type readyFunc func(obj map[string]interface{}, f readyFacts) (ready bool, msg string, err error)

// readinessFor returns the predicate for a kind; kinds without one are ready once they exist.
func readinessFor(group, kind string) readyFunc {
	switch group + "/" + kind {
	case "apps/Deployment":
		return deploymentReady
	case "apps/StatefulSet":
		return statefulSetReady
	case "apps/DaemonSet":
		return daemonSetReady
	case "batch/Job":
		return jobReady
	case "/Pod":
		return podReady
	case "/PersistentVolumeClaim":
		return pvcReady
	case "/Service":
		return serviceReady
	case "/Namespace":
		return namespaceReady
	case "apiextensions.k8s.io/CustomResourceDefinition":
		return crdReady
	}
	return func(map[string]interface{}, readyFacts) (bool, string, error) { return true, "exists", nil }
}

func i64(obj map[string]interface{}, fields ...string) int64 {
	v, found, err := unstructured.NestedFieldNoCopy(obj, fields...)
	if !found || err != nil {
		return 0
	}
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return 0
}

func str(obj map[string]interface{}, fields ...string) string {
	s, _, _ := unstructured.NestedString(obj, fields...)
	return s
}

// replicas reads spec.replicas, which defaults to 1.
func replicas(obj map[string]interface{}) int64 {
	if _, found, _ := unstructured.NestedFieldNoCopy(obj, "spec", "replicas"); !found {
		return 1
	}
	return i64(obj, "spec", "replicas")
}

// condition returns status, reason and message of the named status condition.
func condition(obj map[string]interface{}, typ string) (status, reason, message string, found bool) {
	conds, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]interface{})
		if !ok || m["type"] != typ {
			continue
		}
		s, _ := m["status"].(string)
		r, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		return s, r, msg, true
	}
	return "", "", "", false
}

// observed reports whether the controller has seen the latest spec.
func observed(obj map[string]interface{}) bool {
	return i64(obj, "status", "observedGeneration") >= i64(obj, "metadata", "generation")
}

func deploymentReady(obj map[string]interface{}, _ readyFacts) (bool, string, error) {
	if s, r, m, ok := condition(obj, "Progressing"); ok && s == "False" && r == "ProgressDeadlineExceeded" {
		return false, "", fmt.Errorf("the Deployment failed to progress (%s): %s", r, m)
	}
	if !observed(obj) {
		return false, "waiting for the Deployment controller to observe the new spec", nil
	}
	want := replicas(obj)
	total := i64(obj, "status", "replicas")
	updated := i64(obj, "status", "updatedReplicas")
	available := i64(obj, "status", "availableReplicas")
	ready := i64(obj, "status", "readyReplicas")
	msg := fmt.Sprintf("%d/%d updated, %d/%d ready, %d/%d available", updated, want, ready, want, available, want)
	if total > want {
		msg += fmt.Sprintf(", %d old replicas pending termination", total-want)
	}
	return updated == want && ready == want && available == want && total == want, msg, nil
}

func statefulSetReady(obj map[string]interface{}, _ readyFacts) (bool, string, error) {
	if !observed(obj) {
		return false, "waiting for the StatefulSet controller to observe the new spec", nil
	}
	want := replicas(obj)
	ready := i64(obj, "status", "readyReplicas")
	msg := fmt.Sprintf("%d/%d ready", ready, want)
	if ready != want {
		return false, msg, nil
	}
	if t := str(obj, "spec", "updateStrategy", "type"); t == "" || t == "RollingUpdate" {
		cur, upd := str(obj, "status", "currentRevision"), str(obj, "status", "updateRevision")
		if cur != upd {
			return false, msg + fmt.Sprintf(", rolling out revision %s", upd), nil
		}
	}
	return true, msg, nil
}

func daemonSetReady(obj map[string]interface{}, _ readyFacts) (bool, string, error) {
	if !observed(obj) {
		return false, "waiting for the DaemonSet controller to observe the new spec", nil
	}
	desired := i64(obj, "status", "desiredNumberScheduled")
	ready := i64(obj, "status", "numberReady")
	updated := i64(obj, "status", "updatedNumberScheduled")
	msg := fmt.Sprintf("%d/%d ready, %d/%d updated", ready, desired, updated, desired)
	if t := str(obj, "spec", "updateStrategy", "type"); t == "OnDelete" {
		return ready == desired, msg, nil
	}
	return ready == desired && updated == desired, msg, nil
}

func jobReady(obj map[string]interface{}, _ readyFacts) (bool, string, error) {
	if s, r, m, ok := condition(obj, "Failed"); ok && s == "True" {
		return false, "", fmt.Errorf("the Job failed (%s): %s", r, m)
	}
	if s, _, _, ok := condition(obj, "Complete"); ok && s == "True" {
		return true, "complete", nil
	}
	return false, fmt.Sprintf("%d active, %d succeeded, %d failed",
		i64(obj, "status", "active"), i64(obj, "status", "succeeded"), i64(obj, "status", "failed")), nil
}

func podReady(obj map[string]interface{}, _ readyFacts) (bool, string, error) {
	phase := str(obj, "status", "phase")
	switch phase {
	case "Succeeded":
		return true, "succeeded", nil
	case "Failed":
		return false, "", fmt.Errorf("the Pod failed (%s): %s", str(obj, "status", "reason"), str(obj, "status", "message"))
	}
	if s, _, _, ok := condition(obj, "Ready"); ok && s == "True" {
		return true, "ready", nil
	}
	msg := "phase " + phase
	statuses, _, _ := unstructured.NestedSlice(obj, "status", "containerStatuses")
	var waiting []string
	for _, c := range statuses {
		m, _ := c.(map[string]interface{})
		if r := str(m, "state", "waiting", "reason"); r != "" {
			waiting = append(waiting, fmt.Sprintf("%v: %s", m["name"], r))
		}
	}
	if len(waiting) > 0 {
		msg += " (" + strings.Join(waiting, ", ") + ")"
	}
	return false, msg, nil
}

func pvcReady(obj map[string]interface{}, f readyFacts) (bool, string, error) {
	phase := str(obj, "status", "phase")
	switch {
	case phase == "Bound":
		return true, "bound", nil
	case phase == "Lost":
		return false, "", fmt.Errorf("the PersistentVolumeClaim lost its volume")
	case f.pvcWaitsForConsumer:
		return true, "waits for its first consumer (volumeBindingMode WaitForFirstConsumer)", nil
	}
	return false, "waiting to be bound (phase " + phase + ")", nil
}

// serviceNeedsEndpoints: a Service that selects pods (and is neither headless nor an
// ExternalName) is ready when some selected pod is ready behind it.
func serviceNeedsEndpoints(obj map[string]interface{}) bool {
	sel, _, _ := unstructured.NestedMap(obj, "spec", "selector")
	return len(sel) > 0 && str(obj, "spec", "type") != "ExternalName" && str(obj, "spec", "clusterIP") != "None"
}

// annotationAwaitLoadBalancer opts a LoadBalancer Service into waiting for its address; by
// default kuar does not block on it (the local target has no load balancer).
const annotationAwaitLoadBalancer = "kuar.dev/await-load-balancer"

func serviceReady(obj map[string]interface{}, f readyFacts) (bool, string, error) {
	if str(obj, "spec", "type") == "ExternalName" {
		return true, "external name", nil
	}
	if serviceNeedsEndpoints(obj) && f.readyEndpoints == 0 {
		return false, "waiting for a ready endpoint behind the Service", nil
	}
	if str(obj, "spec", "type") == "LoadBalancer" && str(obj, "metadata", "annotations", annotationAwaitLoadBalancer) == "true" {
		ing, _, _ := unstructured.NestedSlice(obj, "status", "loadBalancer", "ingress")
		if len(ing) == 0 {
			return false, "waiting for the load balancer's address", nil
		}
	}
	return true, "ready", nil
}

func namespaceReady(obj map[string]interface{}, _ readyFacts) (bool, string, error) {
	phase := str(obj, "status", "phase")
	return phase == "Active", "phase " + phase, nil
}

func crdReady(obj map[string]interface{}, _ readyFacts) (bool, string, error) {
	if s, _, _, ok := condition(obj, "Established"); ok && s == "True" {
		return true, "established", nil
	}
	return false, "waiting to be established", nil
}
