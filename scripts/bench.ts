/**
 * `npm run bench`: what users wait for on the local target, with two baselines measured in the
 * same run against the same control plane and the same objects:
 *   kuar     the kuar program (config, components, bootstrap, workloads) on the Pulumi engine
 *   bare     a bare Pulumi program that declares the same objects, one resource each, with no
 *            kuar layers: it separates Pulumi's own cost from kuar's
 *   kubectl  kubectl apply --server-side, rollout status / wait, delete --wait
 * Steps: evaluation (the program under mocks, no engine; kubectl: parse only), preview, up to
 * all-ready, no-op up, destroy (of the objects; the control plane is created once and kept).
 * Rounds are interleaved (kuar, bare, kubectl, kuar, ...) so a busy machine slows all three
 * alike, and each timed step waits until the machine is quiet (waitForQuiet), so it does not
 * pay for what the step before it left running; the table shows medians, ratios and the range
 * of each side's runs.
 *   npm run bench                      all steps, KUAR_BENCH_ROUNDS rounds (default 3)
 *   npm run bench -- --quick           evaluation and no-op up only (what .ci/run prints)
 * "The same objects" are the inputs Pulumi sent for each Kubernetes resource, taken from the
 * state, decrypted into a mode-600 temporary file that is deleted at the end.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { clusterDir } from "../providers/local/kwok.js";
import { createStack } from "../kit/e2e/harness.js";
import { fullConfig } from "../kit/e2e/config.js";
import { TABLE_HEADER, busyShare, cpuTimes, median, tableRow, unwrapSecrets } from "./lib/bench-kit.js";
import { buildProgram } from "./lib/build-program.mjs";
import { engineEnv, ensureToolchain, removeStack, root } from "../cli/engine.js";

const quick = process.argv.includes("--quick");
const rounds = Number(process.env["KUAR_BENCH_ROUNDS"] ?? 3);
const STEPS = quick ? ["evaluation", "no-op up"] : ["evaluation", "preview", "up to ready", "no-op up", "destroy"];
const SIDES = ["kuar", "bare", "kubectl"] as const;
type Side = (typeof SIDES)[number];

const bin = ensureToolchain();
const s = createStack(fullConfig, "bench");
const dir = mkdtempSync(join(tmpdir(), "kuar-bench-"));
const samples = new Map<string, number[]>();
let cleanupBare = () => {};

/**
 * Waits, at most QUIET_MAX_S, until the whole machine was quiet (under QUIET_SHARE of its CPU
 * busy) for one QUIET_WINDOW_MS window, so that a step does not pay for what the one before it
 * left running (a destroyed namespace's controllers, etcd compaction, a finishing process).
 * It records the seconds it waited (the line under the table sums them up); the wait is not timed.
 */
const QUIET_SHARE = 0.2;
const QUIET_WINDOW_MS = 300;
const QUIET_MAX_S = 20;
const waits: number[] = [];
/** Steps that started after QUIET_MAX_S without a quiet window (a quiet one ends the wait earlier). */
const unquiet = () => waits.filter((w) => w === QUIET_MAX_S).length;
const readCpu = () => cpuTimes(readFileSync("/proc/stat", "utf8"));
function waitForQuiet(): void {
  const start = process.hrtime.bigint();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let before = readCpu();
  for (let i = 0; i < (QUIET_MAX_S * 1000) / QUIET_WINDOW_MS; i++) {
    Atomics.wait(cell, 0, 0, QUIET_WINDOW_MS);
    const after = readCpu();
    if (busyShare(before, after) < QUIET_SHARE) {
      waits.push(Number(process.hrtime.bigint() - start) / 1e9);
      return;
    }
    before = after;
  }
  waits.push(QUIET_MAX_S);
}

function time(fn: () => void): number {
  waitForQuiet();
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}
function must(r: { status: number; stdout: string }, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}`);
}
function record(side: Side, step: string, seconds: number): void {
  const key = `${side}/${step}`;
  samples.set(key, [...(samples.get(key) ?? []), seconds]);
}
const kubectl = (args: string[]) => s.kubectl(args);

interface Live {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
  [k: string]: unknown;
}

const ORDER = [
  "Namespace",
  "CustomResourceDefinition",
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "ConfigMap",
  "Secret",
  "PersistentVolumeClaim",
  "Service",
];
const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);

/**
 * The bare program: one Pulumi resource per object through the SDK's typed class for its
 * apiVersion and kind (what a hand-written Pulumi program uses; the generic CustomResource would
 * register core objects as `kubernetes:v1:<Kind>`, which the real provider refuses: "apiVersion
 * does not have both a group and a version"), a provider on the same kubeconfig, namespaces and
 * CRDs first. Plain JavaScript, so nothing is transpiled.
 */
const BARE_PROGRAM = `"use strict";
const fs = require("node:fs");
const k8s = require("@pulumi/kubernetes");
const objs = JSON.parse(fs.readFileSync(process.env.KUAR_BENCH_OBJECTS, "utf8"));
const provider = new k8s.Provider("bare", { kubeconfig: process.env.KUAR_BENCH_KUBECONFIG ?? "" });
const first = [];
for (const o of objs) {
  const early = o.kind === "Namespace" || o.kind === "CustomResourceDefinition";
  const name = (o.metadata.namespace ? o.metadata.namespace + "-" : "") + o.kind.toLowerCase() + "-" + o.metadata.name;
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
  const Typed = k8s[group.split(".")[0]]?.[version]?.[o.kind];
  if (!Typed) throw new Error("no SDK class for " + o.apiVersion + " " + o.kind);
  const r = new Typed(name, o, { provider, dependsOn: early ? [] : first });
  if (early) first.push(r);
}
`;
/** The bare program's project name (its stacks are kept under it in the same file backend). */
const BARE_PROJECT = "kuar-bench-bare";
/** Runs the bare program under mocks, like scripts/lib/evaluate.ts does for kuar. */
const BARE_EVALUATE = `"use strict";
const pulumi = require("@pulumi/pulumi");
let n = 0;
pulumi.runtime.setMocks(
  { newResource: (a) => (n++, { id: a.name + "-id", state: a.inputs }), call: () => { throw new Error("no invokes"); } },
  "${BARE_PROJECT}", "bench", false,
);
require("./index.js");
setTimeout(() => console.log(n + " resources registered"), 0);
`;

try {
  // Warm-up: create the control plane and everything once, read the objects back, then remove the objects.
  must(s.pulumi(["up", "--yes", "--non-interactive"]), "warm-up up");
  const exported = JSON.parse(s.pulumi(["stack", "export", "--show-secrets"]).stdout);
  const ours = (exported.deployment.resources as { type: string; urn: string; inputs?: Live }[]).filter(
    (r) => r.type.startsWith("kubernetes:") && r.inputs?.metadata,
  );
  const objects = ours.map((r) => unwrapSecrets(r.inputs) as Live);
  objects.sort((a, b) => rank(a.kind) - rank(b.kind));
  // JSON, not YAML: kubectl reads YAML 1.1, where unquoted strings such as `yes` turn into booleans.
  const manifest = join(dir, "objects.json");
  writeFileSync(manifest, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }), { mode: 0o600 });
  const keep = (exported.deployment.resources as { urn: string }[])
    .map((r) => r.urn)
    .filter((u) => /LocalControlPlane|LocalCluster|pulumi:providers:kubernetes|Stack::/.test(u));
  const exclude = keep.flatMap((u) => ["--exclude", u]);
  must(s.pulumi(["destroy", "--yes", "--non-interactive", ...exclude]), "warm-up destroy");
  console.log(`bench: ${objects.length} objects (${[...new Set(objects.map((o) => o.kind))].join(", ")})`);

  // The bare program's own project, stack and objects (same backend, same plugins).
  const bare = join(dir, "bare");
  mkdirSync(bare);
  writeFileSync(join(bare, "Pulumi.yaml"), `name: ${BARE_PROJECT}\nruntime: nodejs\nmain: index.js\n`);
  writeFileSync(join(bare, "package.json"), `{ "name": "${BARE_PROJECT}", "private": true }\n`);
  writeFileSync(join(bare, "index.js"), BARE_PROGRAM);
  writeFileSync(join(bare, "evaluate.js"), BARE_EVALUATE);
  writeFileSync(join(bare, "objects.json"), JSON.stringify(objects), { mode: 0o600 });
  symlinkSync(join(root, "node_modules"), join(bare, "node_modules"));
  const bareStack = `${s.name}-bare`;
  const bareEnv = {
    ...engineEnv(bin),
    KUAR_BENCH_OBJECTS: join(bare, "objects.json"),
    KUAR_BENCH_KUBECONFIG: execFileSync("cat", [join(clusterDir(s.clusterName), "kubeconfig.yaml")], {
      encoding: "utf8",
    }),
  };
  const inBare = (args: string[]) => {
    const r = spawnSync("pulumi", [...args, "--stack", bareStack, "--non-interactive"], {
      cwd: bare,
      env: bareEnv,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: r.status ?? 1, stdout: `${r.stdout}${r.stderr}` };
  };
  const initBare = spawnSync(
    "pulumi",
    ["stack", "select", "--create", bareStack, "--secrets-provider", "passphrase", "--non-interactive"],
    { cwd: bare, env: bareEnv, encoding: "utf8" },
  );
  if (initBare.status !== 0) throw new Error(`bare stack: ${initBare.stderr}`);
  cleanupBare = () => {
    inBare(["destroy", "--yes", "--skip-preview"]);
    removeStack(bareEnv, bareStack, { quiet: true, allowFailure: true, cwd: bare, project: BARE_PROJECT });
  };

  // kuar's evaluation runs like the engine runs the program: built ahead of time (built here,
  // before timing, as the first engine run did), with Pulumi.yaml's nodeargs.
  const evaluateJs = join(await buildProgram(["scripts/lib/evaluate.ts"]), "scripts", "lib", "evaluate.js");
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as {
    runtime: { options?: { nodeargs?: string } };
  };
  const nodeArgs = (project.runtime.options?.nodeargs ?? "").split(" ").filter(Boolean);

  const run: Record<Side, Record<string, () => void>> = {
    kuar: {
      evaluation: () => {
        const r = spawnSync(process.execPath, [...nodeArgs, evaluateJs, s.file], { cwd: root, encoding: "utf8" });
        if (r.status !== 0) throw new Error(r.stderr);
      },
      preview: () => must(s.pulumi(["preview", "--non-interactive"]), "kuar preview"),
      "up to ready": () => must(s.pulumi(["up", "--yes", "--non-interactive", "--skip-preview"]), "kuar up"),
      "no-op up": () => must(s.pulumi(["up", "--yes", "--non-interactive", "--skip-preview"]), "kuar no-op up"),
      destroy: () =>
        must(s.pulumi(["destroy", "--yes", "--non-interactive", "--skip-preview", ...exclude]), "kuar destroy"),
    },
    bare: {
      evaluation: () => {
        const r = spawnSync(process.execPath, [join(bare, "evaluate.js")], { encoding: "utf8", env: bareEnv });
        if (r.status !== 0) throw new Error(r.stderr);
      },
      preview: () => must(inBare(["preview"]), "bare preview"),
      "up to ready": () => must(inBare(["up", "--yes", "--skip-preview"]), "bare up"),
      "no-op up": () => must(inBare(["up", "--yes", "--skip-preview"]), "bare no-op up"),
      destroy: () => must(inBare(["destroy", "--yes", "--skip-preview"]), "bare destroy"),
    },
    kubectl: {
      evaluation: () => kubectl(["create", "--dry-run=client", "--validate=false", "-o", "name", "-f", manifest]),
      // A server-side dry run cannot place objects in namespaces that do not exist yet, so the
      // preview baseline validates client-side against the server's OpenAPI schema.
      preview: () => kubectl(["apply", "--dry-run=client", "--validate=strict", "-o", "name", "-f", manifest]),
      "up to ready": () => {
        kubectl(["apply", "--server-side", "--force-conflicts", "-f", manifest]);
        for (const o of objects) {
          const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
          if (o.kind === "Deployment" || o.kind === "StatefulSet" || o.kind === "DaemonSet") {
            kubectl(["rollout", "status", `${o.kind.toLowerCase()}/${o.metadata.name}`, "--timeout=300s", ...ns]);
          } else if (o.kind === "Job") {
            kubectl(["wait", "--for=condition=complete", `job/${o.metadata.name}`, "--timeout=300s", ...ns]);
          }
        }
      },
      "no-op up": () => kubectl(["apply", "--server-side", "--force-conflicts", "-f", manifest]),
      destroy: () => kubectl(["delete", "--wait", "--ignore-not-found", "-f", manifest]),
    },
  };

  // no-op and destroy need the objects up first; in quick mode that up is not measured.
  for (let round = 1; round <= rounds; round++) {
    for (const side of SIDES) {
      for (const step of STEPS) {
        if (quick && step === "no-op up") run[side]["up to ready"]!();
        record(side, step, time(run[side][step]!));
      }
      if (quick) run[side]["destroy"]!();
    }
    console.log(`bench: round ${round}/${rounds} done`);
  }

  console.log(`\nmedians of ${rounds} interleaved rounds, ${objects.length} objects, seconds`);
  for (const line of TABLE_HEADER) console.log(line);
  for (const step of STEPS) {
    const [k, b, c] = SIDES.map((side) => samples.get(`${side}/${step}`)!) as [number[], number[], number[]];
    console.log(tableRow(step, k, b, c));
  }
  console.log(
    `each timed step started once the machine was quiet (under ${QUIET_SHARE * 100}% of its CPU busy for ` +
      `${QUIET_WINDOW_MS} ms): waited ${median(waits).toFixed(2)} s median, ${Math.max(...waits).toFixed(2)} s at most` +
      (unquiet() ? `; ${unquiet()} of ${waits.length} steps started after ${QUIET_MAX_S} s without it` : ""),
  );
} finally {
  cleanupBare();
  s.pulumi(["destroy", "--yes", "--non-interactive"]);
  s.remove();
  execFileSync("rm", ["-rf", dir]);
}
if (!quick) await (await import("./bench-realnodes.js")).benchRealNodes();
