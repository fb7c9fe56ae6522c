package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource methods: every type token is one Kubernetes object of that kind.

func (p *kubeProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	olds, err := p.unmarshal(req.GetOlds(), "olds")
	if err != nil {
		return nil, err
	}
	news, err := p.unmarshal(req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	cfg := p.currentConfig()
	opts := checkOptions{
		name:             req.GetName(),
		randomSeed:       req.GetRandomSeed(),
		defaultNamespace: cfg.Namespace,
		namespaced:       p.scope,
	}
	if opts.name == "" {
		opts.name = resourceName(req.GetUrn())
	}
	if an := req.GetAutonaming(); an != nil {
		switch an.GetMode() {
		case pulumirpc.CheckRequest_AutonamingOptions_ENFORCE:
			opts.proposedName = an.GetProposedName()
		case pulumirpc.CheckRequest_AutonamingOptions_DISABLE:
			opts.noAutoname = true
		}
	}
	inputs, err := checkInputs(req.GetType(), olds, news, opts)
	if err != nil {
		return nil, err
	}
	out, err := p.marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

// scope answers whether a kind is namespaced, for built-in kinds only. Custom kinds get
// their default namespace at apply time instead: asking discovery here would answer
// differently before and after their CRD exists, and the inputs must not change with it.
func (p *kubeProvider) scope(gvk schema.GroupVersionKind) (bool, bool) {
	return scopeFromTable(gvk.GroupKind())
}

// resourceName extracts the resource name from a URN (its last "::" segment).
func resourceName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func (p *kubeProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	gvk, err := tokenGVK(req.GetType())
	if err != nil {
		return nil, err
	}
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := p.unmarshal(oldStruct, "oldInputs")
	if err != nil {
		return nil, err
	}
	news, err := p.unmarshal(req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	return diffResponse(diffInputs(gvk, olds, news, req.GetIgnoreChanges())), nil
}

func (p *kubeProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	id, outs, err := p.applyObject(ctx, req.GetUrn(), req.GetType(), req.GetProperties(), req.GetTimeout(), req.GetPreview(), true)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: outs}, nil
}

func (p *kubeProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	cfg := p.currentConfig()
	_, outs, err := p.applyObject(ctx, req.GetUrn(), req.GetType(), req.GetNews(), req.GetTimeout(), req.GetPreview(), false)
	if err != nil && cfg.SkipUpdateUnreachable && isUnreachable(err) {
		p.host.warn(req.GetUrn(), "the cluster is unreachable; skipping the update (skipUpdateUnreachable)")
		return &pulumirpc.UpdateResponse{Properties: req.GetOlds()}, nil
	}
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: outs}, nil
}

// applyObject applies the inputs with server-side apply and waits for readiness. In a
// preview it touches nothing and returns the inputs (unknowns included) as outputs.
func (p *kubeProvider) applyObject(ctx context.Context, urn, token string, props *structpb.Struct,
	timeout float64, preview, creating bool) (string, *structpb.Struct, error) {
	gvk, err := tokenGVK(token)
	if err != nil {
		return "", nil, err
	}
	inputs, err := p.unmarshal(props, "inputs")
	if err != nil {
		return "", nil, err
	}
	if preview {
		outs := inputs.Copy()
		if creating {
			outs["status"] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		m, err := p.marshal(outs)
		return "", m, err
	}
	c, cfg, err := p.clusterFor()
	if err != nil {
		return "", nil, err
	}
	obj, err := toPlain(inputs, false)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := p.opContext(ctx, timeout)
	defer cancel()

	m, err := c.mapping(ctx, gvk)
	if err != nil {
		return "", nil, err
	}
	u := &unstructured.Unstructured{Object: obj}
	ns := namespaceFor(u, m, cfg.Namespace)
	name := u.GetName()
	if name == "" {
		return "", nil, fmt.Errorf("%s has no metadata.name", gvk.Kind)
	}
	id := objectID(ns, name)
	res := c.resource(m, ns)
	p.host.status(urn, fmt.Sprintf("applying %s %s", gvk.Kind, id))

	var applied *unstructured.Unstructured
	for attempt := 1; ; attempt++ {
		applied, err = res.Apply(ctx, name, u, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
		if err == nil {
			break
		}
		if attempt >= 5 || ctx.Err() != nil || !(isTransient(err) || apierrors.IsNotFound(err) || apierrors.IsConflict(err)) {
			return "", nil, fmt.Errorf("applying %s %s: %w", gvk.Kind, id, err)
		}
		if apierrors.IsNotFound(err) {
			c.mapper.Reset() // the resource type itself may have been missing
		}
		select {
		case <-ctx.Done():
			return "", nil, fmt.Errorf("applying %s %s: %w", gvk.Kind, id, ctx.Err())
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}

	live := applied
	var awaitErr error
	if applied.GetAnnotations()[annotationSkipAwait] != "true" {
		live, awaitErr = p.awaitReady(ctx, c, urn, gvk, res, name)
		if live == nil {
			live = applied
		}
	}
	outs, err := p.marshal(outputsFor(cleanLive(live.Object), inputs, gvk.Kind))
	if err != nil {
		return "", nil, err
	}
	if awaitErr != nil {
		// The object exists: report it so the engine records it, with why it is not ready.
		return "", nil, initFailed(id, outs, props, awaitErr)
	}
	return id, outs, nil
}

// initFailed is the engine's "created but not ready" error: the object goes into the state
// and the next update carries on from it.
func initFailed(id string, outs, inputs *structpb.Struct, cause error) error {
	st := status.New(codes.Unknown, cause.Error())
	detailed, err := st.WithDetails(&pulumirpc.ErrorResourceInitFailed{
		Id: id, Properties: outs, Inputs: inputs, Reasons: []string{cause.Error()},
	})
	if err != nil {
		return st.Err()
	}
	return detailed.Err()
}

// namespaceFor sets the object's namespace from the mapping: the default for namespaced
// kinds without one, none for cluster-scoped kinds.
func namespaceFor(u *unstructured.Unstructured, m *meta.RESTMapping, defaultNS string) string {
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		u.SetNamespace("")
		return ""
	}
	if u.GetNamespace() == "" {
		if defaultNS == "" {
			defaultNS = "default"
		}
		u.SetNamespace(defaultNS)
	}
	return u.GetNamespace()
}

// objectID is the resource ID: namespace/name, or name for cluster-scoped objects.
func objectID(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// parseID splits an ID back into namespace and name.
func parseID(id string) (ns, name string) {
	if i := strings.Index(id, "/"); i >= 0 {
		return id[:i], id[i+1:]
	}
	return "", id
}

// cleanLive drops bookkeeping the state does not need (managed fields are large and change
// with every apply).
func cleanLive(obj map[string]interface{}) map[string]interface{} {
	unstructured.RemoveNestedField(obj, "metadata", "managedFields")
	return obj
}

func (p *kubeProvider) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	gvk, err := tokenGVK(req.GetType())
	if err != nil {
		return nil, err
	}
	c, cfg, err := p.clusterFor()
	if err != nil {
		if cfg.Unknown {
			// Nothing can be read before the cluster is known; keep what the state has.
			return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
		}
		return nil, err
	}
	ctx, cancel := p.opContext(ctx, 0)
	defer cancel()
	inputs, err := p.unmarshal(req.GetInputs(), "inputs")
	if err != nil {
		return nil, err
	}
	m, err := c.mapping(ctx, gvk)
	if err != nil {
		if cfg.DeleteUnreachable && isUnreachable(err) {
			p.host.warn(req.GetUrn(), "the cluster is unreachable; treating the object as deleted (deleteUnreachable)")
			return &pulumirpc.ReadResponse{}, nil
		}
		return nil, err
	}
	ns, name := parseID(req.GetId())
	if m.Scope.Name() == meta.RESTScopeNameNamespace && ns == "" {
		ns = cfg.Namespace
		if ns == "" {
			ns = "default"
		}
	}
	live, err := c.resource(m, ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &pulumirpc.ReadResponse{}, nil // gone: the engine drops it from the state
	}
	if err != nil {
		if cfg.DeleteUnreachable && isUnreachable(err) {
			p.host.warn(req.GetUrn(), "the cluster is unreachable; treating the object as deleted (deleteUnreachable)")
			return &pulumirpc.ReadResponse{}, nil
		}
		return nil, err
	}
	obj := cleanLive(live.Object)
	if len(inputs) == 0 {
		inputs = importInputs(obj)
	}
	outs, err := p.marshal(outputsFor(obj, inputs, gvk.Kind))
	if err != nil {
		return nil, err
	}
	ins, err := p.marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: objectID(live.GetNamespace(), live.GetName()), Properties: outs, Inputs: ins}, nil
}

// importInputs derives inputs from a live object being imported: everything but status and
// the metadata the server owns.
func importInputs(live map[string]interface{}) resource.PropertyMap {
	obj := map[string]interface{}{}
	for k, v := range live {
		if k != "status" {
			obj[k] = v
		}
	}
	meta := map[string]interface{}{}
	if lm, ok := live["metadata"].(map[string]interface{}); ok {
		for _, k := range []string{"name", "namespace", "labels", "annotations"} {
			if v, ok := lm[k]; ok {
				meta[k] = v
			}
		}
	}
	if ann, ok := meta["annotations"].(map[string]interface{}); ok {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		if len(ann) == 0 {
			delete(meta, "annotations")
		}
	}
	obj["metadata"] = meta
	return fromPlain(obj)
}

func (p *kubeProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	gvk, err := tokenGVK(req.GetType())
	if err != nil {
		return nil, err
	}
	c, cfg, err := p.clusterFor()
	if err != nil {
		if cfg.DeleteUnreachable {
			p.host.warn(req.GetUrn(), "the cluster cannot be reached; removing the object from the state only (deleteUnreachable)")
			return &emptypb.Empty{}, nil
		}
		return nil, err
	}
	ctx, cancel := p.opContext(ctx, req.GetTimeout())
	defer cancel()
	m, err := c.mapping(ctx, gvk)
	if err != nil {
		if cfg.DeleteUnreachable && isUnreachable(err) {
			p.host.warn(req.GetUrn(), "the cluster is unreachable; removing the object from the state only (deleteUnreachable)")
			return &emptypb.Empty{}, nil
		}
		if meta.IsNoMatchError(err) || strings.Contains(err.Error(), "does not serve") {
			return &emptypb.Empty{}, nil // its CRD is gone, and with it every object of the kind
		}
		return nil, err
	}
	ns, name := parseID(req.GetId())
	res := c.resource(m, ns)
	policy := metav1.DeletePropagationForeground
	p.host.status(req.GetUrn(), fmt.Sprintf("deleting %s %s", gvk.Kind, req.GetId()))
	err = res.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
	switch {
	case apierrors.IsNotFound(err):
		return &emptypb.Empty{}, nil
	case err != nil && cfg.DeleteUnreachable && isUnreachable(err):
		p.host.warn(req.GetUrn(), "the cluster is unreachable; removing the object from the state only (deleteUnreachable)")
		return &emptypb.Empty{}, nil
	case err != nil:
		return nil, fmt.Errorf("deleting %s %s: %w", gvk.Kind, req.GetId(), err)
	}
	if err := p.awaitDeleted(ctx, req.GetUrn(), gvk.Kind, res, name); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
