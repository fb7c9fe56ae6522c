package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// providerConfig is the part of the kubernetes provider's configuration this stand-in uses.
// The SDK sends booleans JSON-encoded ("true"); other keys are accepted and ignored.
type providerConfig struct {
	Kubeconfig            string // a path, or the kubeconfig itself (YAML or JSON)
	Context               string
	Namespace             string // default namespace for namespaced objects without one
	ClusterIdentifier     string
	EnableServerSideApply bool
	DeleteUnreachable     bool
	SkipUpdateUnreachable bool

	// Unknown is true when some value is not known yet (a preview before the cluster exists).
	Unknown bool
}

// configKeys are the keys this stand-in understands; the rest are accepted and ignored.
var configKeys = []string{"kubeconfig", "context", "namespace", "clusterIdentifier",
	"enableServerSideApply", "deleteUnreachable", "skipUpdateUnreachable"}

// parseConfig reads the provider configuration from checked inputs (secrets and unknowns kept).
func parseConfig(props resource.PropertyMap) (providerConfig, error) {
	var c providerConfig
	str := func(key string) (string, error) {
		v, ok := props[resource.PropertyKey(key)]
		if !ok {
			return "", nil
		}
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		switch {
		case v.IsNull():
			return "", nil
		case v.IsComputed() || v.IsOutput() && !v.OutputValue().Known:
			c.Unknown = true
			return "", nil
		case v.IsOutput():
			v = v.OutputValue().Element
			if v.IsNull() {
				return "", nil
			}
		}
		switch {
		case v.IsString():
			return v.StringValue(), nil
		case v.IsBool():
			return strconv.FormatBool(v.BoolValue()), nil
		case v.IsNumber():
			return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64), nil
		}
		return "", fmt.Errorf("provider config %q: expected a string, got %v", key, v.TypeString())
	}
	boolean := func(key string) (bool, error) {
		s, err := str(key)
		if err != nil || s == "" {
			return false, err
		}
		b, err := strconv.ParseBool(strings.Trim(s, `"`))
		if err != nil {
			return false, fmt.Errorf("provider config %q: expected true or false, got %q", key, s)
		}
		return b, nil
	}
	var err error
	if c.Kubeconfig, err = str("kubeconfig"); err != nil {
		return c, err
	}
	if c.Context, err = str("context"); err != nil {
		return c, err
	}
	if c.Namespace, err = str("namespace"); err != nil {
		return c, err
	}
	if c.ClusterIdentifier, err = str("clusterIdentifier"); err != nil {
		return c, err
	}
	if c.EnableServerSideApply, err = boolean("enableServerSideApply"); err != nil {
		return c, err
	}
	if c.DeleteUnreachable, err = boolean("deleteUnreachable"); err != nil {
		return c, err
	}
	if c.SkipUpdateUnreachable, err = boolean("skipUpdateUnreachable"); err != nil {
		return c, err
	}
	return c, nil
}

// fromVariables converts the deprecated string map form of Configure to properties.
func fromVariables(vars map[string]string) resource.PropertyMap {
	m := resource.PropertyMap{}
	for k, v := range vars {
		k = strings.TrimPrefix(k, "kubernetes:config:")
		k = strings.TrimPrefix(k, "kubernetes:")
		if v == unknownString {
			m[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewStringProperty(""))
			continue
		}
		m[resource.PropertyKey(k)] = resource.NewStringProperty(v)
	}
	return m
}

// unknownString is the engine's sentinel for an unknown string in the variables map.
const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

// looksLikeKubeconfig tells kubeconfig contents from a path: contents span lines or start
// with '{' (JSON) or a YAML key.
func looksLikeKubeconfig(s string) bool {
	t := strings.TrimSpace(s)
	return strings.Contains(t, "\n") || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "apiVersion:") ||
		strings.HasPrefix(t, "clusters:") || strings.HasPrefix(t, "kind:")
}

// loadKubeconfig resolves the configured kubeconfig (contents, a path, or the ambient
// KUBECONFIG / ~/.kube/config when empty) into raw config.
func loadKubeconfig(kubeconfig string) (*clientcmdapi.Config, error) {
	switch {
	case kubeconfig == "":
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		return rules.Load()
	case looksLikeKubeconfig(kubeconfig):
		cfg, err := clientcmd.Load([]byte(kubeconfig))
		if err != nil {
			return nil, fmt.Errorf("parsing the kubeconfig contents: %w", err)
		}
		return cfg, nil
	default:
		path := kubeconfig
		if strings.HasPrefix(path, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				path = home + path[1:]
			}
		}
		cfg, err := clientcmd.LoadFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading kubeconfig %s: %w", path, err)
		}
		return cfg, nil
	}
}

// restConfig builds the client configuration for the configured context.
func (c providerConfig) restConfig() (*rest.Config, error) {
	raw, err := loadKubeconfig(c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.Context}
	rc, err := clientcmd.NewDefaultClientConfig(*raw, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	rc.QPS, rc.Burst = 50, 100
	rc.UserAgent = "pulumi-kubernetes-kuar/" + version
	return rc, nil
}

// activeCluster names the cluster (server URL) a kubeconfig and context point at, for
// DiffConfig; "" when it cannot be told.
func activeCluster(kubeconfig, context string) string {
	raw, err := loadKubeconfig(kubeconfig)
	if err != nil {
		return ""
	}
	ctxName := context
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	ctx, ok := raw.Contexts[ctxName]
	if !ok {
		return ""
	}
	if cl, ok := raw.Clusters[ctx.Cluster]; ok {
		return cl.Server
	}
	return ""
}
