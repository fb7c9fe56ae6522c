package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// runScript is the SDK's program launcher, relative to a node_modules folder.
const runScript = "@pulumi/pulumi/cmd/run"

// invocation is everything needed to start one Pulumi program under node.
type invocation struct {
	dir  string   // working directory of the node process
	args []string // arguments after the node executable
	env  []string // complete environment, KEY=value
}

// runContext is what Run needs besides the request: state the engine gave the host earlier.
type runContext struct {
	engineAddress string   // from argv or Handshake; lets the SDK log through the engine
	tracing       string   // from --tracing
	root          string   // fallback project root (Handshake or -root)
	traceparent   string   // W3C trace context of the incoming Run call, if any
	environ       []string // the host's own environment, inherited by the program
}

// settingsEnv are variables cmd/run derives from its flags and @pulumi/pulumi's runtime reads
// (runtime/state.js, runtime/config.js). cmd/run only sets the ones whose flag is present, so a
// value inherited from a parent process (a Pulumi program running the CLI, say) would leak
// through, for example a stale PULUMI_NODEJS_DRY_RUN=true. The host drops them from the
// inherited environment and sets the ones that apply.
var settingsEnv = []string{
	"PULUMI_NODEJS_ORGANIZATION", "PULUMI_NODEJS_PROJECT", "PULUMI_NODEJS_ROOT_DIRECTORY",
	"PULUMI_NODEJS_STACK", "PULUMI_NODEJS_DRY_RUN", "PULUMI_NODEJS_PARALLEL",
	"PULUMI_NODEJS_MONITOR", "PULUMI_NODEJS_ENGINE", "PULUMI_NODEJS_SYNC",
	"PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS",
}

// parseNodeArgs splits the `nodeargs` runtime option on whitespace, as Pulumi documents it
// ("--import tsx --max-old-space-size=4096"). There is no quoting.
func parseNodeArgs(s string) []string { return strings.Fields(s) }

// runtimeOptions reads the options this host honours from Pulumi.yaml's runtime.options.
// Only `nodeargs` matters: `typescript` and `tsconfig` select Pulumi's bundled ts-node, which
// kuar does not use (it loads TypeScript through `nodeargs: --import tsx`), so they are ignored.
func runtimeOptions(info *pulumirpc.ProgramInfo) (nodeArgs []string) {
	if info == nil || info.GetOptions() == nil {
		return nil
	}
	if v, ok := info.GetOptions().GetFields()["nodeargs"]; ok {
		return parseNodeArgs(v.GetStringValue())
	}
	return nil
}

// programPaths works out the program directory, the program argument for cmd/run and the
// project root from a RunRequest, preferring ProgramInfo over the deprecated fields.
func programPaths(req *pulumirpc.RunRequest, fallbackRoot string) (progDir, program, root string) {
	pwd := req.GetPwd()
	progDir, entry := pwd, req.GetProgram()
	if info := req.GetInfo(); info != nil {
		if info.GetProgramDirectory() != "" {
			progDir = info.GetProgramDirectory()
		}
		if info.GetEntryPoint() != "" {
			entry = info.GetEntryPoint()
		}
		root = info.GetRootDirectory()
	}
	if entry == "" {
		entry = "."
	}
	if root == "" {
		root = fallbackRoot
	}
	if root == "" {
		root = progDir
	}
	// cmd/run resolves the program against the working directory (--pwd) and treats a literal
	// "." as "no entry point given", looking at package.json's main/exports. Keep "." only when
	// it means the program directory; otherwise hand it an absolute path.
	switch {
	case entry == "." && (pwd == "" || pwd == progDir):
		program = "."
	case filepath.IsAbs(entry):
		program = entry
	default:
		program = filepath.Join(progDir, entry)
	}
	return progDir, program, root
}

// buildInvocation turns a RunRequest into node's arguments and environment. runJS is the path
// of @pulumi/pulumi/cmd/run (see findRunScript). It has no side effects, so it is unit tested.
func buildInvocation(req *pulumirpc.RunRequest, rc runContext, runJS string) (invocation, error) {
	if req.GetMonitorAddress() == "" {
		return invocation{}, errors.New("the engine sent no resource monitor address")
	}
	progDir, program, root := programPaths(req, rc.root)
	pwd := req.GetPwd()
	if pwd == "" {
		pwd = progDir
	}

	// Flags of @pulumi/pulumi 3.248.0 cmd/run/index.js (minimist, stopEarly). Always --k=v:
	// the program path follows the flags, and a bare --k would otherwise swallow it as a value.
	args := append([]string{}, runtimeOptions(req.GetInfo())...)
	args = append(args, runJS, "--monitor="+req.GetMonitorAddress())
	if rc.engineAddress != "" {
		args = append(args, "--engine="+rc.engineAddress)
	}
	args = append(args, "--project="+req.GetProject(), "--stack="+req.GetStack(), "--pwd="+pwd,
		"--root-directory="+root)
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		args = append(args, "--parallel="+strconv.Itoa(int(req.GetParallel())))
	}
	if rc.tracing != "" {
		args = append(args, "--tracing="+rc.tracing)
	}
	// Query mode no longer exists in the engine or in cmd/run (which has no flag for it), and
	// the SDK has no loader/mapper client, so those request fields have nothing to map to.
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	// Config goes through the environment as JSON (runtime/config.js): PULUMI_CONFIG is an
	// object of "project:key" -> string value, PULUMI_CONFIG_SECRET_KEYS an array of keys.
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return invocation{}, fmt.Errorf("encoding config: %w", err)
	}
	secretKeys := append([]string{}, req.GetConfigSecretKeys()...)
	sort.Strings(secretKeys)
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return invocation{}, fmt.Errorf("encoding secret config keys: %w", err)
	}

	env := withoutVars(rc.environ, settingsEnv)
	env = append(env, "PULUMI_CONFIG="+string(configJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if rc.traceparent != "" {
		env = append(withoutVars(env, []string{"TRACEPARENT"}), "TRACEPARENT="+rc.traceparent)
	}
	return invocation{dir: pwd, args: args, env: env}, nil
}

// withoutVars returns environ minus the named variables.
func withoutVars(environ, names []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			if k == n {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// findRunScript looks for node_modules/@pulumi/pulumi/cmd/run in dir and its parents, the way
// node resolves `@pulumi/pulumi` from the program (npm workspaces hoist it to a parent).
func findRunScript(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", filepath.FromSlash(runScript))
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		if parent := filepath.Dir(d); parent == d {
			break
		}
	}
	return "", fmt.Errorf("could not find %s in node_modules of %s or any parent folder; "+
		"install the program's dependencies first (npm ci)", runScript, dir)
}
