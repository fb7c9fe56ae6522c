package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// cluster is the connection to one API server: a dynamic client and a RESTMapper backed by
// cached discovery, refreshed when a kind is not found (its CRD may have just been created).
type cluster struct {
	dyn    dynamic.Interface
	disc   discovery.CachedDiscoveryInterface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newCluster(cfg providerConfig) (*cluster, error) {
	rc, err := cfg.restConfig()
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, err
	}
	cached := memory.NewMemCacheClient(dc)
	return &cluster{dyn: dyn, disc: cached, mapper: restmapper.NewDeferredDiscoveryRESTMapper(cached)}, nil
}

// mappingRetry is how long a kind may take to appear in discovery (a CRD created moments
// earlier in the same update) before the apply gives up.
const mappingRetry = 2 * time.Minute

// mapping resolves a kind to its REST resource, refreshing discovery while the kind is
// unknown, until ctx ends or mappingRetry passes.
func (c *cluster) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	deadline := time.Now().Add(mappingRetry)
	for {
		m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			return m, nil
		}
		if !meta.IsNoMatchError(err) && !isTransient(err) {
			return nil, err
		}
		c.mapper.Reset()
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the cluster does not serve %s (is its CustomResourceDefinition installed?): %w", gvk, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("resolving %s: %w", gvk, ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
}

// resource returns the dynamic client for an object of the mapping in namespace ns.
func (c *cluster) resource(m *meta.RESTMapping, ns string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(ns)
	}
	return c.dyn.Resource(m.Resource)
}

// isTransient reports errors worth retrying: timeouts, throttling, restarts of the API server.
func isTransient(err error) bool {
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) || isUnreachable(err)
}

// isUnreachable reports errors that mean the API server could not be reached at all.
func isUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var urlErr *url.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		return true
	}
	if errors.As(err, &urlErr) && !apierrors.IsNotFound(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") ||
		strings.Contains(msg, "i/o timeout")
}
