package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// kubeProvider implements the engine's ResourceProvider service for the kubernetes package.
// Provider-level methods live here; resource methods in resources.go.
type kubeProvider struct {
	pulumirpc.UnimplementedResourceProviderServer

	host *engineHost

	mu            sync.Mutex
	config        providerConfig
	configured    bool
	acceptSecrets bool
	cl            *cluster
	clErr         error

	// canceled ends every wait when the engine calls Cancel.
	canceled context.Context
	cancel   context.CancelFunc
}

func newProvider(host *engineHost) *kubeProvider {
	ctx, cancel := context.WithCancel(context.Background())
	return &kubeProvider{host: host, canceled: ctx, cancel: cancel, acceptSecrets: true}
}

// fieldManager is the server-side apply field manager of every object this provider applies.
const fieldManager = "pulumi-kubernetes-kuar"

var unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipInternalKeys: true}

func (p *kubeProvider) unmarshal(s *structpb.Struct, label string) (resource.PropertyMap, error) {
	o := unmarshalOpts
	o.Label = label
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, o)
}

func (p *kubeProvider) marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	p.mu.Lock()
	secrets := p.acceptSecrets
	p.mu.Unlock()
	return plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: secrets, KeepResources: true})
}

// opContext derives an operation's context: it ends with the request, on Cancel, or after
// timeout seconds (the engine's customTimeouts; 10 minutes when unset).
func (p *kubeProvider) opContext(parent context.Context, timeoutSeconds float64) (context.Context, context.CancelFunc) {
	timeout := defaultTimeout
	if timeoutSeconds > 0 {
		timeout = secondsToDuration(timeoutSeconds)
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	stop := context.AfterFunc(p.canceled, cancel)
	return ctx, func() { stop(); cancel() }
}

// clusterFor returns the connection to the configured cluster, made on first use.
func (p *kubeProvider) clusterFor() (*cluster, providerConfig, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.config.Unknown {
		return nil, p.config, fmt.Errorf("the kubernetes provider's configuration (kubeconfig) is not known yet")
	}
	if p.cl == nil && p.clErr == nil {
		p.cl, p.clErr = newCluster(p.config)
	}
	return p.cl, p.config, p.clErr
}

func (p *kubeProvider) currentConfig() providerConfig {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.config
}

func (p *kubeProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *kubeProvider) GetSchema(_ context.Context, req *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema := map[string]interface{}{
		"name":        "kubernetes",
		"version":     version,
		"description": "kuar's stand-in for the Pulumi kubernetes provider: plain Kubernetes objects only",
		"config":      map[string]interface{}{},
		"provider":    map[string]interface{}{"type": "object"},
		"resources":   map[string]interface{}{},
		"functions":   map[string]interface{}{},
	}
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

// CheckConfig passes the configuration through; values are validated by Configure.
func (p *kubeProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := p.unmarshal(req.GetNews(), "config")
	if err != nil {
		return nil, err
	}
	if _, err := parseConfig(news); err != nil {
		return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *kubeProvider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := p.unmarshal(oldStruct, "olds")
	if err != nil {
		return nil, err
	}
	news, err := p.unmarshal(req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	return diffResponse(diffConfig(olds, news)), nil
}

// diffConfig compares provider configurations. A different target cluster replaces the
// provider (and so every object it manages); with clusterIdentifier set, only a change of
// the identifier does, so a refreshed kubeconfig for the same cluster is a plain update.
func diffConfig(olds, news resource.PropertyMap) diffResult {
	res := diffResult{detailed: map[string]*pulumirpc.PropertyDiff{}}
	var changes []change
	o, n := olds.Copy(), news.Copy()
	delete(o, "version")
	delete(n, "version")
	diffValues(resource.NewObjectProperty(o), resource.NewObjectProperty(n), nil, &changes)
	oc, _ := parseConfig(olds)
	nc, _ := parseConfig(news)
	replace := func(key string) bool {
		switch key {
		case "clusterIdentifier":
			return true
		case "kubeconfig", "context":
			if nc.ClusterIdentifier != "" || oc.ClusterIdentifier != "" || nc.Unknown || oc.Unknown {
				return false
			}
			before, after := activeCluster(oc.Kubeconfig, oc.Context), activeCluster(nc.Kubeconfig, nc.Context)
			return before != "" && after != "" && before != after
		}
		return false
	}
	for _, c := range changes {
		key, _ := c.path[0].(string)
		kind := c.kind
		if replace(key) {
			res.replaces = append(res.replaces, key)
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		res.changes = append(res.changes, c)
		res.detailed[c.path.String()] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return res
}

// diffResponse renders a diff result for the engine.
func diffResponse(d diffResult) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{
		Changes:             pulumirpc.DiffResponse_DIFF_NONE,
		Replaces:            d.replaces,
		DetailedDiff:        d.detailed,
		HasDetailedDiff:     true,
		DeleteBeforeReplace: d.deleteBeforeReplace,
	}
	if len(d.changes) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	seen := map[string]bool{}
	for _, c := range d.changes {
		if key, ok := c.path[0].(string); ok && !seen[key] {
			seen[key] = true
			resp.Diffs = append(resp.Diffs, key)
		}
	}
	return resp
}

func (p *kubeProvider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	var props resource.PropertyMap
	if req.GetArgs() != nil {
		var err error
		if props, err = p.unmarshal(req.GetArgs(), "config"); err != nil {
			return nil, err
		}
	} else {
		props = fromVariables(req.GetVariables())
	}
	cfg, err := parseConfig(props)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.config, p.configured, p.cl, p.clErr = cfg, true, nil, nil
	p.acceptSecrets = req.GetAcceptSecrets()
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, SupportsPreview: true}, nil
}

func notSupported(what string) error {
	return fmt.Errorf("%s is not supported by kuar's stand-in kubernetes provider, which serves plain "+
		"Kubernetes objects only (Helm charts, YAML and Kustomize components need the real plugin: "+
		"`pulumi plugin install resource kubernetes v4.32.0`)", what)
}

func (p *kubeProvider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, notSupported("the function " + req.GetTok())
}

func (p *kubeProvider) Call(_ context.Context, req *pulumirpc.CallRequest) (*pulumirpc.CallResponse, error) {
	return nil, notSupported("the method " + req.GetTok())
}

func (p *kubeProvider) Construct(_ context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	return nil, notSupported("the component " + req.GetType())
}

// Cancel stops every wait in progress; the operations return promptly with an error.
func (p *kubeProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}
