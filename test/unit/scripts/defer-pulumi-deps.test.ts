import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import { projectRoot } from "../../../scripts/lib/build-program.mjs";

/** Runs CommonJS `code` in a fresh node, with or without the preload, from the project root. */
function node(code: string, preload: boolean, env: Record<string, string> = {}): string {
  const args = [...(preload ? ["--import", "./scripts/lib/defer-pulumi-deps.mjs"] : []), "-e", code];
  const clean = { ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: "", TRACEPARENT: "" };
  return execFileSync(process.execPath, args, { cwd: projectRoot, encoding: "utf8", env: { ...clean, ...env } }).trim();
}
const loaded = `require("@pulumi/pulumi");
const names = Object.keys(require.cache);
console.log(JSON.stringify(["/typescript/lib/typescript.js", "/@npmcli/arborist/lib/arborist/index.js", "/@pulumi/pulumi/automation/localWorkspace.js", "/normalize-package-data/lib/normalize.js"].filter((m) => names.some((n) => n.endsWith(m)))));`;

test("the preload keeps TypeScript, arborist, the Automation API and the code-path walker out of a program's start", () => {
  assert.equal(node(loaded, false).split(",").length, 4, "without it @pulumi/pulumi loads all four");
  assert.equal(node(loaded, true), "[]");
});

test("what it defers still works when used", () => {
  const code = `const pulumi = require("@pulumi/pulumi");
const ts = require("@pulumi/pulumi/typescript-shim");
const codePaths = require.resolve("@pulumi/pulumi/runtime/closure/codePaths");
const before = Object.keys(require.cache).some((n) => n.endsWith("/normalize-package-data/lib/normalize.js"));
console.log(typeof pulumi.automation.LocalWorkspace.create, typeof ts.createSourceFile, ts.SyntaxKind.Identifier > 0,
  typeof pulumi.runtime.computeCodePaths, before, typeof require(codePaths).findWorkspaceRoot);`;
  assert.equal(node(code, true), "function function true function false function");
});

// What cmd/run loads before the program: its tracing module (the OpenTelemetry SDK for --tracing)
// and the package-manifest reader (js-yaml for a pnpm package.yaml).
const runLoads = `require("@pulumi/pulumi/cmd/run/tracing.js");
require("@pulumi/pulumi/runtime/manifest.js");
const names = Object.keys(require.cache);
console.log(JSON.stringify(["/@opentelemetry/sdk-trace-base/build/src/Tracer.js", "/@opentelemetry/exporter-zipkin/build/src/zipkin.js", "/@opentelemetry/instrumentation-grpc/build/src/instrumentation.js", "/@opentelemetry/resources/build/src/Resource.js", "/js-yaml/lib/loader.js"].filter((m) => names.some((n) => n.endsWith(m)))));`;

test("the preload keeps the tracing SDK and js-yaml out of cmd/run's start, unless the run traces", () => {
  assert.equal(JSON.parse(node(runLoads, false)).length, 5, "without it cmd/run loads all five");
  assert.equal(node(runLoads, true), "[]");
  const traced = JSON.parse(
    node(runLoads, true, { TRACEPARENT: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
  );
  assert.equal(traced.length, 4, "a traced run loads the OpenTelemetry SDK at once, as without the preload");
  const tracing = `const t = require("@pulumi/pulumi/cmd/run/tracing.js"); console.log(typeof t.start, typeof require("@opentelemetry/sdk-trace-base").SimpleSpanProcessor, typeof require("js-yaml").load);`;
  assert.equal(node(tracing, true), "function function function", "what is deferred still works when used");
});

// debuggablePromise keeps the stack of the promise it is given; cmd/run installs source-map-support.
const stacks = `require("source-map-support").install();
const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable");
const p = Promise.resolve(1);
debuggablePromise(p, "test");
const saved = Error.prepareStackTrace;
Error.prepareStackTrace = (_, frames) => frames;
const raw = new Error().stack;
Error.prepareStackTrace = saved;
const q = Promise.resolve(2);
debuggablePromise(q, "test");
let error = [];
try {
  new (require("@pulumi/pulumi").Config)("test").require("absent");
} catch (e) {
  error = e.stack.split(String.fromCharCode(10)).filter((l) => l.startsWith("    at ")).slice(0, 2);
}
console.log(JSON.stringify({ promise: p._debugStackTrace, again: q._debugStackTrace, raw: Array.isArray(raw), restored: Error.prepareStackTrace === saved, error }));`;

test("promise stacks nobody reads are not formatted; every other stack is, through the installed source maps", () => {
  const kept = JSON.parse(node(stacks, false)) as { promise: string; error: string[] };
  assert.match(
    kept.promise,
    /^Error: ?\n {4}at .*debuggable\.ts:\d+:\d+/,
    "without the preload source-map-support maps it",
  );
  const out = JSON.parse(node(stacks, true)) as Record<string, unknown>;
  assert.equal(out["promise"], "(stack not kept: set PULUMI_DEBUG_PROMISE_LEAKS=1 to keep promise stacks)");
  assert.equal(out["again"], out["promise"], "still after another formatter was set and restored");
  assert.equal(out["raw"], true, "a formatter set for a moment gets the frames");
  assert.equal(out["restored"], true, "and reading the property gives back what was read");
  assert.deepEqual(out["error"], kept.error, "an error's stack is the same as without the preload");
  assert.match((out["error"] as string[])[0]!, /config\.ts:\d+:\d+/, "mapped to the SDK's TypeScript source");
});

test("with PULUMI_DEBUG_PROMISE_LEAKS set, promise stacks are kept and mapped as Pulumi documents", () => {
  const out = JSON.parse(node(stacks, true, { PULUMI_DEBUG_PROMISE_LEAKS: "1" })) as { promise: string };
  assert.match(out.promise, /^Error: ?\n {4}at .*debuggable\.ts:\d+:\d+/);
});

// cmd/run awaits this before it runs the program; closure serialization asks the session later.
// (Without the preload the session is open at that point, and it never learns of a script loaded
// before it opened, such as this early module: its location's file is "".)
const inspects = (fnFile: string) => `const v8Hooks = require("@pulumi/pulumi/runtime/closure/v8Hooks");
const early = require(${JSON.stringify(fnFile)});
v8Hooks.isInitializedAsync().then(async () => {
  const atStart = process.moduleLoadList.includes("NativeModule inspector");
  const { getFunctionLocationAsync } = require("@pulumi/pulumi/runtime/closure/v8");
  const { file, line, column } = await getFunctionLocationAsync(early.f);
  console.log(JSON.stringify({ atStart, file, line, column }));
});`;

test("the debugger is enabled when closure serialization first needs it, not before every program", () => {
  const dir = mkdtempSync(join(tmpdir(), "kuar-v8hooks-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fnFile = join(dir, "early.cjs");
  writeFileSync(fnFile, "const k = 42;\nexports.f = function f() { return k + 1; };\n");
  const out = JSON.parse(node(inspects(fnFile), true)) as Record<string, unknown>;
  assert.deepEqual(out, { atStart: false, file: pathToFileURL(fnFile).href, line: 1, column: 22 });
});

const k8sLoads = `const k8s = require("@pulumi/kubernetes");
const names = Object.keys(require.cache);
const heavy = ["/@pulumi/kubernetes/yaml/yaml.js", "/glob/dist/commonjs/index.js", "/@pulumi/kubernetes/helm/v3/helm.js", "/@pulumi/kubernetes/kustomize/kustomize.js"].filter((m) => names.some((n) => n.endsWith(m)));
const used = [k8s.helm.v4.Chart, k8s.core.v1.Service, k8s.yaml.ConfigFile, k8s.yaml.v2.ConfigGroup, k8s.helm.v3.Chart, k8s.kustomize.Directory].map((c) => typeof c);
console.log(JSON.stringify({ heavy, used }));`;

test("@pulumi/kubernetes loads without its v1 yaml, helm v3 and kustomize modules, which still work when used", () => {
  const without = JSON.parse(node(k8sLoads, false)) as { heavy: string[] };
  assert.equal(without.heavy.length, 4, "without the preload its index.js loads all four");
  assert.deepEqual(JSON.parse(node(k8sLoads, true)), { heavy: [], used: Array(6).fill("function") });
});

// Each package's guard: the directory variable the preload reads its version from.
for (const [pkg, guard] of [
  ["@pulumi/pulumi", "dir"],
  ["@pulumi/kubernetes", "k8sDir"],
] as const) {
  test(`the installed ${pkg} is the version whose layout the preload was checked against`, () => {
    const installed = JSON.parse(readFileSync(join(projectRoot, "node_modules", pkg, "package.json"), "utf8"));
    const pinned = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")).dependencies[pkg];
    const source = readFileSync(join(projectRoot, "scripts/lib/defer-pulumi-deps.mjs"), "utf8");
    assert.equal(installed.version, pinned);
    assert.match(
      source,
      new RegExp(`\\b${guard}, "package\\.json"\\)\\)\\.version === "${pinned.replaceAll(".", "\\.")}"`),
      "recheck the deferred modules",
    );
  });
}

test("the preload defers from any working directory: it finds the project's SDK from its own place", () => {
  const args = ["--import", join(projectRoot, "scripts/lib/defer-pulumi-deps.mjs"), "-e", loaded];
  const out = execFileSync(process.execPath, args, {
    cwd: tmpdir(),
    encoding: "utf8",
    env: { ...process.env, NODE_PATH: join(projectRoot, "node_modules") },
  });
  assert.equal(out.trim(), "[]");
});

test("Pulumi.yaml runs kuar's dynamic resources in Pulumi's own host, started with the preload", async () => {
  const project = parse(readFileSync(join(projectRoot, "Pulumi.yaml"), "utf8")) as {
    plugins?: { providers?: { name: string; path: string }[] };
  };
  const entry = project.plugins?.providers?.find((p) => p.name === "pulumi-nodejs");
  assert.ok(entry, "a plugins.providers entry for pulumi-nodejs");
  const host = join(projectRoot, entry.path, "pulumi-resource-pulumi-nodejs");
  assert.ok(statSync(host).mode & 0o100, `${host} is executable`);
  // The engine starts it with its own address and reads the port it listens on from stdout.
  const child = spawn(host, ["127.0.0.1:1"], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.trim());
      });
      child.on("exit", (code) => reject(new Error(`the host exited (${code}) before it listened`)));
    });
    assert.match(port, /^\d+$/);
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    assert.ok(cmdline.includes(join(projectRoot, "scripts/lib/defer-pulumi-deps.mjs")), cmdline.join(" "));
    assert.ok(cmdline.includes(join(projectRoot, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js")));
  } finally {
    child.kill();
  }
});
