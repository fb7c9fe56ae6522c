// Command pulumi-resource-kubernetes is kuar's stand-in for the Pulumi kubernetes resource
// provider plugin. It serves the resource types of the @pulumi/kubernetes SDK generically:
// every type token names one Kubernetes object, applied with server-side apply and awaited
// until ready. See ../README.md ("kube-provider") for why it exists and what it covers.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is set at link time: -ldflags "-X main.version=4.32.0".
var version = "4.32.0-dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-kubernetes: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	// The engine starts plugins as `<plugin> [flags] <engine address>`; flags such as
	// --logtostderr, -v and --tracing are accepted and ignored.
	fs := flag.NewFlagSet("pulumi-resource-kubernetes", flag.ContinueOnError)
	fs.Bool("logtostderr", false, "ignored")
	fs.Bool("logflow", false, "ignored")
	fs.Int("v", 0, "ignored")
	fs.String("tracing", "", "ignored")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Println(version)
		return nil
	}
	var host *engineHost
	if fs.NArg() > 0 {
		h, err := dialEngine(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("connecting to the engine at %s: %w", fs.Arg(0), err)
		}
		defer h.Close()
		host = h
	}
	prov := newProvider(host)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(s, prov)
			return nil
		},
		// Large objects (CRDs) exceed gRPC's 4 MiB default.
		Options: []grpc.ServerOption{grpc.MaxRecvMsgSize(400 << 20)},
	})
	if err != nil {
		return err
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}
