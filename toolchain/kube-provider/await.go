package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// defaultTimeout bounds create, update and delete when the program sets no customTimeouts.
const defaultTimeout = 10 * time.Minute

// pollInterval is how often a wait looks at the object again.
const pollInterval = time.Second

// annotationSkipAwait turns readiness waiting off for one object.
const annotationSkipAwait = "pulumi.com/skipAwait"

func secondsToDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// awaitReady polls the object until its kind's readiness predicate holds, logging progress
// to the engine. It returns the last object seen, also on failure.
func (p *kubeProvider) awaitReady(ctx context.Context, c *cluster, urn string, gvk schema.GroupVersionKind,
	res dynamic.ResourceInterface, name string) (*unstructured.Unstructured, error) {
	ready := readinessFor(gvk.Group, gvk.Kind)
	var last *unstructured.Unstructured
	lastMsg := ""
	for {
		obj, err := res.Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			last = obj
			facts := p.readyFacts(ctx, c, gvk, obj)
			ok, msg, failed := ready(obj.Object, facts)
			if failed != nil {
				return last, failed
			}
			if ok {
				p.host.status(urn, "") // clear the status line
				return last, nil
			}
			if msg != lastMsg {
				p.host.status(urn, fmt.Sprintf("%s %s: %s", gvk.Kind, name, msg))
				lastMsg = msg
			}
		case ctx.Err() != nil:
		case apierrors.IsNotFound(err):
			lastMsg = "not found yet"
		case !isTransient(err):
			return last, err
		}
		select {
		case <-ctx.Done():
			return last, waitError(ctx, p.canceled, fmt.Sprintf("%s %s did not become ready", gvk.Kind, name), lastMsg)
		case <-time.After(pollInterval):
		}
	}
}

// readyFacts looks up what some predicates need beyond the object.
func (p *kubeProvider) readyFacts(ctx context.Context, c *cluster, gvk schema.GroupVersionKind, obj *unstructured.Unstructured) readyFacts {
	var f readyFacts
	switch {
	case gvk.Group == "" && gvk.Kind == "PersistentVolumeClaim":
		f.pvcWaitsForConsumer = c.storageClassWaitsForConsumer(ctx, str(obj.Object, "spec", "storageClassName"))
	case gvk.Group == "" && gvk.Kind == "Service" && serviceNeedsEndpoints(obj.Object):
		f.readyEndpoints = c.readyEndpoints(ctx, obj.GetNamespace(), obj.GetName())
	}
	return f
}

var (
	storageClasses = schema.GroupVersionResource{Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses"}
	endpointSlices = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
)

// storageClassWaitsForConsumer reports volumeBindingMode WaitForFirstConsumer of the named
// StorageClass, or of the default class when the claim names none.
func (c *cluster) storageClassWaitsForConsumer(ctx context.Context, name string) bool {
	if name == "" {
		list, err := c.dyn.Resource(storageClasses).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, sc := range list.Items {
			if sc.GetAnnotations()["storageclass.kubernetes.io/is-default-class"] == "true" {
				return str(sc.Object, "volumeBindingMode") == "WaitForFirstConsumer"
			}
		}
		return false
	}
	sc, err := c.dyn.Resource(storageClasses).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return false
	}
	return str(sc.Object, "volumeBindingMode") == "WaitForFirstConsumer"
}

// readyEndpoints counts the ready endpoints of a Service across its EndpointSlices.
func (c *cluster) readyEndpoints(ctx context.Context, ns, service string) int {
	list, err := c.dyn.Resource(endpointSlices).Namespace(ns).List(ctx,
		metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + service})
	if err != nil {
		return 0
	}
	n := 0
	for _, s := range list.Items {
		eps, _, _ := unstructured.NestedSlice(s.Object, "endpoints")
		for _, e := range eps {
			m, _ := e.(map[string]interface{})
			ready, found, _ := unstructured.NestedBool(m, "conditions", "ready")
			if !found || ready {
				n++
			}
		}
	}
	return n
}

// awaitDeleted polls until the object is gone (404).
func (p *kubeProvider) awaitDeleted(ctx context.Context, urn string, kind string, res dynamic.ResourceInterface, name string) error {
	lastMsg := ""
	for {
		obj, err := res.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			p.host.status(urn, "")
			return nil
		case err == nil:
			msg := "deleting"
			if obj.GetDeletionTimestamp() != nil {
				msg = "waiting for finalizers and dependents to go"
				if fin := obj.GetFinalizers(); len(fin) > 0 {
					msg += fmt.Sprintf(" (finalizers %v)", fin)
				}
			}
			if msg != lastMsg {
				p.host.status(urn, fmt.Sprintf("%s %s: %s", kind, name, msg))
				lastMsg = msg
			}
		case ctx.Err() != nil:
		case !isTransient(err):
			return err
		}
		select {
		case <-ctx.Done():
			return waitError(ctx, p.canceled, fmt.Sprintf("%s %s was not deleted", kind, name), lastMsg)
		case <-time.After(pollInterval):
		}
	}
}

// waitError explains why a wait ended early: canceled, or timed out with the last status.
func waitError(ctx, canceled context.Context, what, lastMsg string) error {
	if canceled.Err() != nil {
		return fmt.Errorf("%s: the operation was canceled", what)
	}
	detail := ""
	if lastMsg != "" {
		detail = " (last status: " + lastMsg + ")"
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s before the timeout%s; raise it with customTimeouts or set the annotation %s: \"true\"",
			what, detail, annotationSkipAwait)
	}
	return fmt.Errorf("%s: %v%s", what, ctx.Err(), detail)
}
