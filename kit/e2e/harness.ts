/**
 * The e2e tier's harness: a throwaway stack on the real engine (file backend in .kuar/) against
 * the local control plane, checked through kubectl.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ppidFromStat, type Proc } from "../../cli/processes.js";
import { clusterDir } from "../../providers/local/kwok.js";
import {
  engineEnv,
  fileBackendDir,
  installKubernetesPlugin,
  projectName,
  pulumi,
  removeStack,
  root,
  selectStack,
  stackFolders,
  stateDir,
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

/**
 * The names a throwaway stack may start with: .gitignore lists `stacks/Pulumi.<prefix>-*.yaml`
 * for each (test/unit/kit/harness.test.ts checks it), so a stack file that exists while a run is
 * under way can never be committed with other work.
 */
export const THROWAWAY_PREFIXES = ["e2e", "ci", "bench"] as const;

/** Creates `stacks/Pulumi.<prefix>-<id>.yaml` (git-ignored) and the stack in the file backend. */
export function createStack(config: Record<string, unknown>, prefix = "e2e"): E2eStack {
  if (!THROWAWAY_PREFIXES.some((p) => prefix === p || prefix.startsWith(`${p}-`))) {
    throw new Error(
      `stack prefix ${JSON.stringify(prefix)} is not git-ignored: start it with one of ${THROWAWAY_PREFIXES.join(", ")} (kit/e2e/harness.ts THROWAWAY_PREFIXES, and .gitignore)`,
    );
  }
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
      removeStack(env, name, { quiet: true, allowFailure: true });
      if (existsSync(file)) rmSync(file);
      if (isLocal) spawnSync(join(bin, "kwokctl"), ["--name", clusterName, "delete", "cluster"], { stdio: "ignore" });
    },
  };
}

/** Seconds since `start`, one decimal. */
export function seconds(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

/** What one e2e case may have started or written, by the case's own ids. */
export interface CaseIds {
  /** Stack names (each also owns `stacks/Pulumi.<name>.yaml` and `.kuar/ephemeral/<name>.*`). */
  stacks: string[];
  /** Local control plane names (`~/.kwok/clusters/<name>`, kwokctl's files in `~/.cache/kuar`). */
  clusters?: string[];
  /** Folders the case made (a temp HOME, a state dir): gone afterwards, and in no process. */
  dirs?: string[];
  /** The value of KUAR_E2E_CASE the case put in the environment of everything it ran (caseEnv). */
  tag?: string;
  /** HOME the case ran kuar with (default: this process's). */
  home?: string;
}

/** The environment marker every process a case starts inherits: kuar, pulumi, each plugin. */
export const CASE_MARKER = "KUAR_E2E_CASE";
export const caseEnv = (tag: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => ({
  ...base,
  [CASE_MARKER]: tag,
});

/** This process and its ancestors (the test runner), never counted as a case's leftovers. */
function ownLineage(): Set<number> {
  const own = new Set<number>();
  for (let pid = process.pid; pid > 1 && !own.has(pid);) {
    own.add(pid);
    try {
      pid = ppidFromStat(readFileSync(`/proc/${pid}/stat`, "latin1"));
    } catch {
      break;
    }
  }
  return own;
}

/** Live processes whose command line or environment names one of the case's ids. */
export function caseProcesses(ids: CaseIds): Proc[] {
  const needles = [
    ...ids.stacks,
    ...(ids.clusters ?? []),
    ...(ids.dirs ?? []),
    ...(ids.tag ? [`${CASE_MARKER}=${ids.tag}`] : []),
  ];
  const own = ownLineage();
  const out: Proc[] = [];
  for (const e of readdirSync("/proc").filter((x) => /^\d+$/.test(x) && !own.has(Number(x)))) {
    try {
      const args = readFileSync(`/proc/${e}/cmdline`, "latin1").split("\0").join(" ").trim();
      const env = readFileSync(`/proc/${e}/environ`, "latin1");
      if (!args || !needles.some((n) => args.includes(n) || env.split("\0").some((v) => v.includes(n)))) continue;
      out.push({ pid: Number(e), ppid: ppidFromStat(readFileSync(`/proc/${e}/stat`, "latin1")), args });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Everything of the case still there: processes, stacks in the backend, files and folders. */
export function leftovers(ids: CaseIds): string[] {
  const home = ids.home ?? homedir();
  const left = caseProcesses(ids).map((p) => `process ${p.pid} (parent ${p.ppid}): ${p.args.slice(0, 160)}`);
  const env = engineEnv(toolchainBinDir());
  const ls = pulumi(env, ["stack", "ls", "--json"], { quiet: true, allowFailure: true });
  const inBackend = ls.status === 0 ? (JSON.parse(ls.stdout) as { name: string }[]).map((s) => s.name) : [];
  // In the project's file backend, a stack is its checkpoint (and the .bak Pulumi keeps when
  // the stack is removed without --remove-backups), a backup of every earlier checkpoint and
  // its update history (pkg/backend/diy/state.go removeStack, pulumi 3.248.0).
  const url = env["PULUMI_BACKEND_URL"] ?? "";
  const base = fileBackendDir(url);
  const inFileBackend = (s: string) => [
    ...(base === undefined
      ? []
      : ["", ".attrs", ".bak", ".bak.attrs"].map((x) =>
          join(base, ".pulumi", "stacks", projectName(), `${s}.json${x}`),
        )),
    ...stackFolders(url, projectName(), s),
  ];
  const files = [
    ...ids.stacks.flatMap((s) => [
      ...inFileBackend(s),
      join(root, "stacks", `Pulumi.${s}.yaml`),
      join(stateDir, "ephemeral", `${s}.json`),
      join(stateDir, "ephemeral", `${s}.kubeconfig`),
    ]),
    ...(ids.clusters ?? []).flatMap((c) => [
      join(home, ".kwok", "clusters", c),
      join(home, ".cache", "kuar", `kwokctl-${c}.yaml`),
      join(home, ".cache", "kuar", `kwokctl-${c}.kubeconfig`),
    ]),
    ...(ids.dirs ?? []),
  ];
  return [
    ...left,
    ...ids.stacks.filter((s) => inBackend.includes(s)).map((s) => `stack ${s} in the backend`),
    ...files.filter((f) => existsSync(f)).map((f) => `file ${f}`),
  ];
}

/** Fails with the list when anything of the case is left. */
export function assertNothingLeft(ids: CaseIds): void {
  const left = leftovers(ids);
  if (left.length) throw new Error(`left behind by the case:\n  ${left.join("\n  ")}`);
}
