/**
 * What the real-node e2e tier and its bench share: whether the tier can run here, the test
 * images, the stack config, and Redis/Sentinel helpers driven through kubectl exec.
 */
import { spawn, spawnSync } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { images as pinnedImages } from "../../config/versions.js";
import { realNodeProblems, thisHost } from "../../providers/local/host.js";
import { root, toolchainBinDir } from "../../cli/engine.js";
import { buildTestImages, missingForImages } from "./images/build.js";
import type { E2eStack } from "./harness.js";

export const KUBE_SRC = join(homedir(), "go", "pkg", "mod", `k8s.io/kubernetes@v1.34.4`);

/** Why real nodes cannot run here (the same checks as the stack config), or undefined when they can. */
export function realNodesCannotRun(): string | undefined {
  const problems = realNodeProblems(1, thisHost());
  if (problems.length) return problems.map((p) => `${p.message} (${p.fix.split(". Or ")[0]})`).join("; ");
  const check = spawnSync("bash", [join(root, "scripts", "toolchain.sh"), "--check", "--with-real-nodes"], {
    encoding: "utf8",
  });
  if (check.status !== 0) {
    return `the toolchain is not complete for real nodes (${check.stderr.trim() || `toolchain.sh --check exited ${check.status}`}; build them: npm run toolchain -- --with-real-nodes)`;
  }
  const missing = missingForImages(toolchainBinDir(), KUBE_SRC);
  if (missing.length) {
    return `the test images cannot be built: missing ${missing.join(", ")} (scripts/ci-packages.txt; go mod download k8s.io/kubernetes@v1.34.4)`;
  }
  return undefined;
}

/** The test images, built once into ~/.cache/kuar/test-images. */
export function testImages(): Record<string, string> {
  return buildTestImages(join(homedir(), ".cache", "kuar", "test-images"), toolchainBinDir(), KUBE_SRC);
}

/** kuar with Redis+Sentinel (real) and kuard (stays simulated: its image cannot be built here). */
export function realNodesConfig(realNodes: number, images: Record<string, string>): Record<string, unknown> {
  return {
    target: "local",
    local: { nodes: 1, realNodes, images },
    workloads: { kuard: { enabled: true }, redis: { enabled: true } },
  };
}

export const APPS = "apps";

export interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { image: string; securityContext?: Record<string, unknown> }[] };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
}

export function pods(s: E2eStack, selector: string, ns = APPS): Pod[] {
  return (JSON.parse(s.kubectl(["get", "pods", "-n", ns, "-l", selector, "-o", "json"])) as { items: Pod[] }).items;
}

export const SERVER = "app.kubernetes.io/name=redis,app.kubernetes.io/component=server";
export const SENTINEL = "app.kubernetes.io/name=redis,app.kubernetes.io/component=sentinel";

/** redis-cli in a pod (REDISCLI_AUTH is set there, so the password never appears here). */
export function redisCli(s: E2eStack, pod: string, args: string[]): string {
  return s.kubectl(["exec", "-n", APPS, pod, "--", "redis-cli", ...args]).trim();
}

/** Minutes a real-node `up` or `destroy` may take before it is interrupted (normally 3 and 1 to 2). */
export const UP_MINUTES = 20;
export const DESTROY_MINUTES = 10;

/**
 * pulumi on the stack without blocking the event loop, interrupted (SIGINT, then SIGKILL a minute
 * later) after `minutes`, so a hung engine fails the run instead of holding CI.
 */
export function pulumiBounded(
  s: E2eStack,
  args: string[],
  minutes: number,
): Promise<{ status: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn("pulumi", [...args, "--stack", s.name], {
      cwd: root,
      env: s.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    let kill: NodeJS.Timeout | undefined;
    const stop = setTimeout(() => {
      out += `\n[interrupted: pulumi ${args[0]} ran longer than ${minutes} minutes]\n`;
      child.kill("SIGINT");
      kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
    }, minutes * 60_000);
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(stop);
      if (kill) clearTimeout(kill);
      resolve({ status: code ?? 1, stdout: out });
    };
    child.on("close", finish);
    // Its plugins may keep the output pipes open after pulumi itself exited.
    child.on("exit", (code) => setTimeout(() => finish(code), 5_000).unref());
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `fn` returns a value; the error says what was awaited and the last failure. */
export async function eventually<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = String(e).slice(0, 300);
    }
    await sleep(1000);
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `; last error: ${last}` : ""}`);
}

/** The master set's name and Services, read from the deployed objects. */
export function redisNames(s: E2eStack) {
  const sentinelPod = pods(s, SENTINEL)[0]!.metadata.name;
  const set = sentinelPod.replace(/-sentinel-\d+$/, "");
  return {
    set,
    sentinelService: `${set}-sentinel`,
    primaryService: `${set}-primary`,
    masterName: "mymaster",
    sentinelPod,
  };
}

/** The primary's host name as Sentinel reports it, asked through the Sentinel Service. */
export function sentinelPrimary(s: E2eStack, fromPod: string, sentinelService: string, masterName: string): string {
  return redisCli(s, fromPod, [
    "-h",
    sentinelService,
    "-p",
    "26379",
    "--raw",
    "sentinel",
    "get-master-addr-by-name",
    masterName,
  ]).split("\n")[0]!;
}

/**
 * Deletes the primary's pod (`<set>-0`), then waits for Sentinel (asked from `client`) to report
 * another primary and for that one to answer as master; returns its host name. Both waits are
 * bounded: `promoteMs` for the promotion, 30 s for the role.
 */
export async function failOver(
  s: E2eStack,
  client: string,
  names: { set: string; sentinelService: string; masterName: string },
  promoteMs: number,
): Promise<string> {
  const { sentinelService, masterName } = names;
  const old = sentinelPrimary(s, client, sentinelService, masterName);
  s.kubectl(["delete", "pod", "-n", APPS, old.split(".")[0]!, "--wait=false"]);
  const promoted = await eventually(
    "Sentinel to report a new primary",
    () => {
      const p = sentinelPrimary(s, client, sentinelService, masterName);
      return p && p !== old ? p : undefined;
    },
    promoteMs,
  );
  await eventually(
    "the new primary to answer as master",
    () => (redisCli(s, client, ["-h", promoted, "role"]).startsWith("master") ? true : undefined),
    30_000,
  );
  return promoted;
}

/** The redis image is a stand-in named like the official one; say so where it matters. */
export const REDIS_IMAGE = pinnedImages.redis;
