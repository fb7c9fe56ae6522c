// Command pulumi-language-nodejs is kuar's minimal Node.js language host for the Pulumi engine.
//
// The engine starts it, reads the port it prints on stdout, and asks it over gRPC
// (pulumirpc.LanguageRuntime) to run the program. The host runs
// `node <nodeargs> node_modules/@pulumi/pulumi/cmd/run <flags> <program>` and reports how it
// ended. See toolchain/README.md for why it exists and what it leaves out.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// healthInterval is how often the host checks that the engine is still there. If the engine
// dies without stopping us, the host notices and exits instead of lingering.
const healthInterval = 10 * time.Second

// maxMessageSize matches the engine's 400 MiB limit: resource state can be large.
const maxMessageSize = 400 << 20

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	opts, err := parseHostArgs(os.Args[1:])
	if err != nil {
		return err
	}

	// The engine stops plugins with SIGINT to their process group, then SIGKILL 5s later.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// watchEngine calls stop (which cancels ctx, and so h.stopping) once the engine is gone.
	h := newHost(ctx, opts, func(addr string) { watchEngine(ctx, addr, stop) })

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize))
	pulumirpc.RegisterLanguageRuntimeServer(srv, h)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	// The engine reads exactly one line from stdout: the port. Anything after it is shown as
	// program output, which is where the programs' own stdout goes.
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)

	select {
	case err := <-served:
		return err
	case <-h.stopping.Done():
	}
	// Running programs have been interrupted (see host.Run); let their Run calls return, but
	// do not wait longer than the engine would.
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(stopGrace + 2*time.Second):
		srv.Stop()
	}
	return nil
}

// watchEngine polls the engine's gRPC health service and calls gone when it stops answering.
// An engine without a health service (Unimplemented) still counts as alive.
func watchEngine(ctx context.Context, addr string, gone func()) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: cannot watch the engine at %s: %v\n", addr, err)
		return
	}
	client := healthpb.NewHealthClient(conn)
	go func() {
		defer conn.Close()
		t := time.NewTicker(healthInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				cctx, cancel := context.WithTimeout(ctx, healthInterval)
				_, err := client.Check(cctx, &healthpb.HealthCheckRequest{})
				cancel()
				if err != nil && status.Code(err) != codes.Unimplemented && ctx.Err() == nil {
					gone()
					return
				}
			}
		}
	}()
}
