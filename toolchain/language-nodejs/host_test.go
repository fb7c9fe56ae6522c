package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestParseHostArgs(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want hostOptions
	}{
		{"engine only", []string{"127.0.0.1:1234"}, hostOptions{engineAddress: "127.0.0.1:1234"}},
		{
			"what pulumi 3.248 passes",
			[]string{"--logtostderr", "-v=9", "--tracing", "http://zipkin:9411", "127.0.0.1:1"},
			hostOptions{engineAddress: "127.0.0.1:1", tracing: "http://zipkin:9411", verbose: 9, logToStderr: true},
		},
		{
			"-root and = forms",
			[]string{"-root=/p", "-tracing=t", "-v", "3", "127.0.0.1:2"},
			hostOptions{engineAddress: "127.0.0.1:2", root: "/p", tracing: "t", verbose: 3},
		},
		{
			"unknown flags ignored",
			[]string{"--typescript=false", "-binary", "x", "--newflag", "127.0.0.1:3"},
			hostOptions{engineAddress: "127.0.0.1:3"},
		},
		{"no engine address", []string{"--logtostderr=false"}, hostOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseHostArgs(c.args)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
	if _, err := parseHostArgs([]string{"-v", "x"}); err == nil {
		t.Fatal("-v x: want an error")
	}
	if _, err := parseHostArgs([]string{"--tracing"}); err == nil {
		t.Fatal("--tracing without value: want an error")
	}
}

func TestParseNodeArgs(t *testing.T) {
	for in, want := range map[string][]string{
		"":                       nil,
		"--import tsx":           {"--import", "tsx"},
		"  --a   --b=1\t--c  ":   {"--a", "--b=1", "--c"},
		"--max-old-space-size=8": {"--max-old-space-size=8"},
	} {
		got := parseNodeArgs(in)
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("parseNodeArgs(%q) = %q, want %q", in, got, want)
		}
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func TestBuildInvocation(t *testing.T) {
	opts, err := structpb.NewStruct(map[string]any{"typescript": false, "nodeargs": "--import tsx"})
	if err != nil {
		t.Fatal(err)
	}
	req := &pulumirpc.RunRequest{
		Project: "kuar", Stack: "dev", Pwd: "/proj", Organization: "org",
		Args:             []string{"a1"},
		Config:           map[string]string{"kuar:target": "local", "kuar:token": "t"},
		ConfigSecretKeys: []string{"kuar:token"},
		DryRun:           true, Parallel: 16, MonitorAddress: "127.0.0.1:9",
		Info: &pulumirpc.ProgramInfo{RootDirectory: "/proj", ProgramDirectory: "/proj", EntryPoint: "index.ts", Options: opts},
	}
	rc := runContext{
		engineAddress: "127.0.0.1:8", tracing: "http://z", traceparent: "00-abc-def-01",
		environ: []string{"PATH=/bin", "PULUMI_NODEJS_DRY_RUN=true", "PULUMI_CONFIG={}", "KEEP=1", "TRACEPARENT=old"},
	}
	inv, err := buildInvocation(req, rc, "/proj/node_modules/@pulumi/pulumi/cmd/run")
	if err != nil {
		t.Fatal(err)
	}
	wantArgs := []string{
		"--import", "tsx", "/proj/node_modules/@pulumi/pulumi/cmd/run",
		"--monitor=127.0.0.1:9", "--engine=127.0.0.1:8", "--project=kuar", "--stack=dev", "--pwd=/proj",
		"--root-directory=/proj", "--organization=org", "--dry-run", "--parallel=16", "--tracing=http://z",
		"/proj/index.ts", "a1",
	}
	if !reflect.DeepEqual(inv.args, wantArgs) {
		t.Fatalf("args\n got %q\nwant %q", inv.args, wantArgs)
	}
	if inv.dir != "/proj" {
		t.Fatalf("dir = %q", inv.dir)
	}
	env := envMap(inv.env)
	var cfg map[string]string
	if err := json.Unmarshal([]byte(env["PULUMI_CONFIG"]), &cfg); err != nil || !reflect.DeepEqual(cfg, req.Config) {
		t.Fatalf("PULUMI_CONFIG = %q (%v)", env["PULUMI_CONFIG"], err)
	}
	if env["PULUMI_CONFIG_SECRET_KEYS"] != `["kuar:token"]` {
		t.Fatalf("PULUMI_CONFIG_SECRET_KEYS = %q", env["PULUMI_CONFIG_SECRET_KEYS"])
	}
	if _, stale := env["PULUMI_NODEJS_DRY_RUN"]; stale {
		t.Fatal("inherited PULUMI_NODEJS_DRY_RUN must be dropped")
	}
	if env["KEEP"] != "1" || env["PATH"] != "/bin" || env["TRACEPARENT"] != "00-abc-def-01" {
		t.Fatalf("env = %v", env)
	}
	if n := strings.Count(strings.Join(inv.env, "\n"), "TRACEPARENT="); n != 1 {
		t.Fatalf("TRACEPARENT appears %d times", n)
	}
}

func TestBuildInvocationMinimal(t *testing.T) {
	// Deprecated fields only, no engine address, not a preview, no options, no config.
	req := &pulumirpc.RunRequest{Project: "p", Stack: "s", Pwd: "/w", Program: ".", MonitorAddress: "m:1"}
	inv, err := buildInvocation(req, runContext{}, "R")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"R", "--monitor=m:1", "--project=p", "--stack=s", "--pwd=/w", "--root-directory=/w", "."}
	if !reflect.DeepEqual(inv.args, want) {
		t.Fatalf("args\n got %q\nwant %q", inv.args, want)
	}
	env := envMap(inv.env)
	if env["PULUMI_CONFIG"] != "{}" || env["PULUMI_CONFIG_SECRET_KEYS"] != "[]" {
		t.Fatalf("env = %v", env)
	}
	if _, err := buildInvocation(&pulumirpc.RunRequest{}, runContext{}, "R"); err == nil {
		t.Fatal("no monitor address: want an error")
	}
}

func TestProgramPaths(t *testing.T) {
	cases := []struct {
		name                 string
		req                  *pulumirpc.RunRequest
		fallbackRoot         string
		dir, program, rootOK string
	}{
		{"dot in program dir", &pulumirpc.RunRequest{Pwd: "/r", Info: &pulumirpc.ProgramInfo{RootDirectory: "/r", ProgramDirectory: "/r", EntryPoint: "."}}, "", "/r", ".", "/r"},
		{"dot elsewhere", &pulumirpc.RunRequest{Pwd: "/r", Info: &pulumirpc.ProgramInfo{RootDirectory: "/r", ProgramDirectory: "/r/src", EntryPoint: "."}}, "", "/r/src", "/r/src", "/r"},
		{"file", &pulumirpc.RunRequest{Pwd: "/r/src", Info: &pulumirpc.ProgramInfo{ProgramDirectory: "/r/src", EntryPoint: "main.ts"}}, "/r", "/r/src", "/r/src/main.ts", "/r"},
		{"absolute", &pulumirpc.RunRequest{Pwd: "/r", Program: "/x/y.js"}, "", "/r", "/x/y.js", "/r"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, program, root := programPaths(c.req, c.fallbackRoot)
			if dir != c.dir || program != c.program || root != c.rootOK {
				t.Fatalf("got (%q, %q, %q), want (%q, %q, %q)", dir, program, root, c.dir, c.program, c.rootOK)
			}
		})
	}
}

func TestRunResult(t *testing.T) {
	exit := func(code string) error { return exec.Command("sh", "-c", "exit "+code).Run() }
	if r := runResult(nil); r.Bail || r.Error != "" {
		t.Fatalf("success: %v", r)
	}
	if r := runResult(exit("32")); !r.Bail || r.Error != "" {
		t.Fatalf("exit 32 must bail: %v", r)
	}
	if r := runResult(exit("3")); r.Bail || !strings.Contains(r.Error, "non-zero exit code: 3") {
		t.Fatalf("exit 3: %v", r)
	}
	if r := runResult(exec.Command("sh", "-c", "kill -TERM $$").Run()); !strings.Contains(r.Error, "signal") {
		t.Fatalf("signal: %v", r)
	}
}

func TestFindRunScriptAndDependencies(t *testing.T) {
	root := t.TempDir()
	run := filepath.Join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "node_modules", "@pulumi", "pulumi", "package.json"), `{"version":"3.248.0"}`)
	write(filepath.Join(root, "package.json"), `{"dependencies":{"@pulumi/pulumi":"^3.0.0","zod":"4.6.7"}}`)
	sub := filepath.Join(root, "src")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}

	got, err := findRunScript(sub)
	if err != nil || got != run {
		t.Fatalf("findRunScript = %q, %v", got, err)
	}
	if _, err := findRunScript(t.TempDir()); err == nil {
		t.Fatal("want an error without node_modules")
	}

	deps, err := programDependencies(sub)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, d := range deps {
		pairs = append(pairs, d.Name+"@"+d.Version)
	}
	// Installed version where node_modules has the package, the declared range otherwise.
	if want := []string{"@pulumi/pulumi@3.248.0", "zod@4.6.7"}; !reflect.DeepEqual(pairs, want) {
		t.Fatalf("dependencies = %q, want %q", pairs, want)
	}
}

// TestRunWithFakeNode drives Run end to end with a stand-in `node` that records how it was
// called and exits with the code it is asked for.
func TestRunWithFakeNode(t *testing.T) {
	proj := t.TempDir()
	if err := os.MkdirAll(filepath.Join(proj, "node_modules", "@pulumi", "pulumi", "cmd", "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "record")
	fake := "#!/bin/sh\n{ pwd; printf '%s\\n' \"$@\"; echo \"CONFIG=$PULUMI_CONFIG\"; } > " + record + "\nexit \"$FAKE_EXIT\"\n"
	if err := os.WriteFile(filepath.Join(bin, "node"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	h := newHost(t.Context(), hostOptions{engineAddress: "127.0.0.1:7"}, nil)
	req := &pulumirpc.RunRequest{
		Project: "p", Stack: "s", Pwd: proj, MonitorAddress: "127.0.0.1:6",
		Config: map[string]string{"p:k": "v"},
		Info:   &pulumirpc.ProgramInfo{RootDirectory: proj, ProgramDirectory: proj, EntryPoint: "index.ts"},
	}
	for code, want := range map[string]*pulumirpc.RunResponse{
		"0":  {},
		"32": {Bail: true},
		"5":  {Error: "Program exited with non-zero exit code: 5"},
	} {
		t.Setenv("FAKE_EXIT", code)
		got, err := h.Run(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetBail() != want.GetBail() || got.GetError() != want.GetError() {
			t.Fatalf("exit %s: got %v, want %v", code, got, want)
		}
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != proj || lines[1] != filepath.Join(proj, "node_modules", "@pulumi", "pulumi", "cmd", "run") ||
		lines[len(lines)-2] != filepath.Join(proj, "index.ts") || lines[len(lines)-1] != `CONFIG={"p:k":"v"}` {
		t.Fatalf("node was called as:\n%s", b)
	}

	// After Cancel, Run refuses to start programs.
	if _, err := h.Cancel(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Run(t.Context(), req); err == nil {
		t.Fatal("Run after Cancel: want an error")
	}
}
