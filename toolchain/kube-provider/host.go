package main

import (
	"context"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// engineHost is the client side of the engine's Engine service, used to log progress
// against a resource (shown by the CLI next to that resource).
type engineHost struct {
	conn   *grpc.ClientConn
	engine pulumirpc.EngineClient
}

func dialEngine(addr string) (*engineHost, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return &engineHost{conn: conn, engine: pulumirpc.NewEngineClient(conn)}, nil
}

func (h *engineHost) Close() { _ = h.conn.Close() }

// log sends a message to the engine; ephemeral messages are status lines the CLI replaces
// as progress goes on. Logging never fails an operation.
func (h *engineHost) log(sev pulumirpc.LogSeverity, urn, msg string, ephemeral bool) {
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = h.engine.Log(ctx, &pulumirpc.LogRequest{Severity: sev, Urn: urn, Message: msg, Ephemeral: ephemeral})
}

func (h *engineHost) status(urn, msg string) { h.log(pulumirpc.LogSeverity_INFO, urn, msg, true) }
func (h *engineHost) warn(urn, msg string)   { h.log(pulumirpc.LogSeverity_WARNING, urn, msg, false) }
