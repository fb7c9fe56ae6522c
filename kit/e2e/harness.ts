/**
 * The e2e tier's harness: a throwaway stack on the real engine (file backend in .kuar/) against
 * the local control plane, checked through kubectl.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { clusterDir } from "../../providers/local/kwok.js";
import {
  engineEnv,
  installKubernetesPlugin,
  pulumi,
  root,
  selectStack,
  toolchainBinDir,
  toolchainReady,
} from "../../cli/engine.js";

/** Why the tier cannot run here, or undefined when it can. */
export function cannotRun(): string | undefined {
  if (!toolchainReady()) return "the toolchain is not built (run `npm run toolchain`)";
  return undefined;
}

export interface E2eStack {
  name: string;
  clusterName: string;
  env: NodeJS.ProcessEnv;
  bin: string;
  file: string;
  /** The local control plane's kubeconfig file. */
  kubeconfig: string;
  pulumi(args: string[], opts?: { quiet?: boolean; allowFailure?: boolean }): { status: number; stdout: string };
  /** Like pulumi(), without blocking the event loop (for tests whose own timers must keep running). */
  pulumiAsync(args: string[]): Promise<{ status: number; stdout: string }>;
  kubectl(args: string[]): string;
  remove(): void;
}

/** Creates `stacks/Pulumi.e2e-<id>.yaml` (git-ignored) and the stack in the file backend. */
export function createStack(config: Record<string, unknown>, prefix = "e2e"): E2eStack {
  const id = randomBytes(3).toString("hex");
  const name = `${prefix}-${id}`;
  const clusterName = `kuar-${name}`;
  const bin = toolchainBinDir();
  const env = engineEnv(bin);
  installKubernetesPlugin(env, bin);
  const file = join(root, "stacks", `Pulumi.${name}.yaml`);
  // A local stack gets a control plane of its own, named after the stack.
  const isLocal = (config["target"] ?? "local") === "local";
  const withCluster = isLocal ? { ...config, local: { clusterName, ...((config["local"] as object) ?? {}) } } : config;
  const body = Object.fromEntries(Object.entries(withCluster).map(([k, v]) => [`kuar:${k}`, v]));
  writeFileSync(file, stringify({ config: body }));
  selectStack(env, name);
  const kubeconfig = join(clusterDir(clusterName), "kubeconfig.yaml");
  return {
    name,
    clusterName,
    env,
    bin,
    file,
    kubeconfig,
    pulumi: (args, opts = { quiet: true, allowFailure: true }) => pulumi(env, [...args, "--stack", name], opts),
    pulumiAsync: (args) =>
      new Promise((resolve) => {
        const child = spawn("pulumi", [...args, "--stack", name], {
          cwd: root,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("close", (code) => resolve({ status: code ?? 1, stdout: out }));
      }),
    kubectl: (args) =>
      execFileSync(join(bin, "kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", timeout: 300_000 }),
    remove() {
      pulumi(env, ["stack", "rm", name, "--yes", "--force"], { quiet: true, allowFailure: true });
      if (existsSync(file)) rmSync(file);
      if (isLocal) spawnSync(join(bin, "kwokctl"), ["--name", clusterName, "delete", "cluster"], { stdio: "ignore" });
    },
  };
}

/** Seconds since `start`, one decimal. */
export function seconds(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}
