package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is the Pulumi release whose protocol and Node.js SDK this host is written against.
const version = "3.248.0"

// bailExitCode is what @pulumi/pulumi's cmd/run exits with after it has already reported the
// error to the user (nodeJSProcessExitedAfterLoggingUserActionableMessage in cmd/run/index.js).
const bailExitCode = 32

// stopGrace is how long a program gets between SIGINT and SIGKILL when the host is told to stop.
const stopGrace = 5 * time.Second

// host implements pulumirpc.LanguageRuntimeServer for Node.js programs. Everything it does not
// implement (code generation, packing, plugins written in Node.js) answers Unimplemented.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	opts hostOptions
	// stopping is done when the host must exit (signal, engine gone). cancelled is done then
	// too, or after a Cancel call: running programs are interrupted and no new ones start.
	stopping  context.Context
	cancelled context.Context
	cancel    context.CancelFunc
	// onEngineAddress is called once with the engine address, whether it came from argv or
	// Handshake, to start watching the engine's health.
	onEngineAddress func(string)

	mu            sync.Mutex
	engineAddress string
	root          string
	watching      bool
}

func newHost(ctx context.Context, opts hostOptions, onEngineAddress func(string)) *host {
	cancelled, cancel := context.WithCancel(ctx)
	h := &host{opts: opts, stopping: ctx, cancelled: cancelled, cancel: cancel, onEngineAddress: onEngineAddress, root: opts.root}
	h.setEngineAddress(opts.engineAddress)
	return h
}

func (h *host) setEngineAddress(addr string) {
	if addr == "" {
		return
	}
	h.mu.Lock()
	h.engineAddress = addr
	start := !h.watching && h.onEngineAddress != nil
	h.watching = true
	h.mu.Unlock()
	if start {
		h.onEngineAddress(addr)
	}
}

func (h *host) logf(level int, format string, args ...any) {
	// The host's stderr is shown to the user by the engine, so it stays quiet unless asked.
	if h.opts.logToStderr && h.opts.verbose >= level {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	}
}

// Handshake records the engine address and directories. The CLI calls it only when it attaches
// to an already running host (PULUMI_DEBUG_LANGUAGES); otherwise the address comes from argv.
func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.RootDirectory != nil {
		h.mu.Lock()
		h.root = req.GetRootDirectory()
		h.mu.Unlock()
	}
	h.setEngineAddress(req.GetEngineAddress())
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPlugins reports nothing: kuar installs its plugins explicitly, and the engine
// loads the ones a program actually uses when it registers resources.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// GetRequiredPackages reports nothing, for the same reason as GetRequiredPlugins.
func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// InstallDependencies does not install anything (kuar runs npm itself); it says so.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	msg := "pulumi-language-nodejs (kuar): not installing dependencies; run `npm ci` in the project yourself\n"
	return stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node was not found on PATH")
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", node, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"host": "kuar minimal language host " + version},
	}, nil
}

// GetProgramDependencies lists the direct dependencies in the program's package.json, with the
// installed version when node_modules has it and the declared range otherwise. Transitive
// dependencies are not reported.
func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetPwd()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	deps, err := programDependencies(dir)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// programDependencies reads the nearest package.json at or above dir.
func programDependencies(dir string) ([]*pulumirpc.DependencyInfo, error) {
	var pkgDir string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "package.json")); err == nil {
			pkgDir = d
			break
		}
		if filepath.Dir(d) == d {
			return nil, fmt.Errorf("no package.json in %s or any parent folder", dir)
		}
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(pkgDir, "package.json"), err)
	}
	names := make([]string, 0, len(pkg.Dependencies))
	for n := range pkg.Dependencies {
		names = append(names, n)
	}
	sort.Strings(names)
	deps := make([]*pulumirpc.DependencyInfo, 0, len(names))
	for _, n := range names {
		v := pkg.Dependencies[n]
		var installed struct {
			Version string `json:"version"`
		}
		if b, err := os.ReadFile(filepath.Join(pkgDir, "node_modules", filepath.FromSlash(n), "package.json")); err == nil &&
			json.Unmarshal(b, &installed) == nil && installed.Version != "" {
			v = installed.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	return deps, nil
}

// Cancel interrupts running programs; later Run calls fail. The engine calls it before it
// closes a host (then stops the process with SIGINT), so the host keeps serving until then.
func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

// Run starts the program under node through @pulumi/pulumi's cmd/run and waits for it. The
// program talks to the engine's resource monitor directly; this host only starts it and
// reports how it ended.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.cancelled.Err() != nil {
		return nil, errors.New("the language host was cancelled")
	}
	if req.GetAttachDebugger() {
		return nil, errors.New("kuar's language host cannot start programs under a debugger")
	}
	h.mu.Lock()
	rc := runContext{engineAddress: h.engineAddress, tracing: h.opts.tracing, root: h.root, environ: os.Environ()}
	h.mu.Unlock()
	// Carry the engine's trace context into the program (cmd/run/instrumentation.js reads
	// TRACEPARENT) when the engine sends one.
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if tp := md.Get("traceparent"); len(tp) > 0 {
			rc.traceparent = tp[0]
		}
	}

	progDir, _, _ := programPaths(req, rc.root)
	runJS, err := findRunScript(progDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node was not found on PATH; install Node.js"}, nil
	}
	inv, err := buildInvocation(req, rc, runJS)
	if err != nil {
		return nil, err
	}
	h.logf(5, "running %s %s in %s", node, strings.Join(inv.args, " "), inv.dir)

	// Stop the program when the engine abandons the call, cancels the host or the host must
	// exit: SIGINT first, SIGKILL after stopGrace.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(h.cancelled, cancel)()
	cmd := exec.CommandContext(runCtx, node, inv.args...)
	cmd.Dir, cmd.Env = inv.dir, inv.env
	// The program's output goes where ours goes: the engine shows it to the user.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = stopGrace

	return runResult(cmd.Run()), nil
}

// runResult maps how node ended to a RunResponse.
func runResult(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program was stopped by signal %v", ws.Signal())}
	}
	if exit.ExitCode() == bailExitCode {
		// The SDK already showed the error; the engine must not add another.
		return &pulumirpc.RunResponse{Bail: true}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}
}
