/**
 * `kuar up | preview | destroy | refresh | status | kubeconfig`: the real engine on this
 * project's backend (a file backend in .kuar/ unless PULUMI_BACKEND_URL is set), for one stack.
 * Builds only the toolchain pieces the stack's target needs, starts a stopped local control
 * plane first, forwards Ctrl-C/SIGTERM to the engine, and ends any plugin it left behind.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../config/load.js";
import { defaultClusterName, stackFileConfig } from "../config/stack-file.js";
import { toolchain } from "../config/versions.js";
import { Kwok } from "../providers/local/kwok.js";
import { configFileArgs, engineEnv, installKubernetesPlugin, pulumi, root, selectStack } from "./engine.js";
import { Refusal, UsageError } from "./errors.js";
import { installContext, userKubeconfigPath } from "./kubeconfig.js";
import { endRun, newRunId, RUN_MARKER } from "./processes.js";
import { reachEndpoints, reachText } from "./reach.js";
import { ensureFor, needFor, type Need } from "./toolchain.js";
import type { Ui } from "./ui.js";

export const stackFilePath = (stack: string) => join(root, "stacks", `Pulumi.${stack}.yaml`);

/** The stack file's target (plain config, no engine); a usage error when the file is missing. */
export function stackTarget(stack: string): { target: string; settings: Record<string, unknown> } {
  const file = stackFilePath(stack);
  if (!existsSync(file))
    throw new UsageError(
      `--stack ${stack}: no stack file stacks/Pulumi.${stack}.yaml. Create one with "kuar init --stack ${stack}", or pick an existing stack.`,
    );
  const config = parseConfig(stackFileConfig(file).raw);
  return { target: config.target, settings: config.settings as Record<string, unknown> };
}

/** The local control plane's name for a local stack. */
export function localClusterName(stack: string, settings: Record<string, unknown>): string {
  return typeof settings["clusterName"] === "string" ? settings["clusterName"] : defaultClusterName(stack);
}

export interface Engine {
  bin: string;
  env: NodeJS.ProcessEnv;
  runId: string;
}

/** The toolchain for `need` and the engine's environment, marked with a fresh run id. */
export async function engine(ui: Ui, need: Need): Promise<Engine> {
  const bin = await ui.step(`toolchain (${need === "local" ? "engine and local control plane" : need})`, () =>
    ensureFor(need, ui.info),
  );
  const runId = newRunId();
  const env = { ...engineEnv(bin), [RUN_MARKER]: runId };
  if (need !== "cli") installKubernetesPlugin(env, bin);
  return { bin, env, runId };
}

/** Runs pulumi with inherited stdio; SIGINT/SIGTERM are passed on as SIGINT (Pulumi's graceful stop). */
export function runPulumi(e: Engine, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("pulumi", args, { cwd: root, env: e.env, stdio: "inherit" });
    const forward = () => child.kill("SIGINT");
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("close", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 130 : 1));
    });
    child.on("error", () => resolve(127));
  });
}

const OPS = {
  up: ["up", "--yes"],
  preview: ["preview"],
  destroy: ["destroy", "--yes"],
  refresh: ["refresh", "--yes"],
} as const;
export type Op = keyof typeof OPS;

/** `kuar up|preview|destroy|refresh --stack <s> [-- pulumi args]`; returns the exit code. */
export async function operate(ui: Ui, op: Op, stack: string, extra: string[] = []): Promise<number> {
  const start = Date.now();
  const { target, settings } = stackTarget(stack);
  const e = await engine(ui, needFor(target));
  selectStack(e.env, stack);
  if (target === "local" && op !== "preview") {
    // A local control plane stops with the machine; state still says it exists, so start it first.
    const kwok = new Kwok({ name: localClusterName(stack, settings), kubeVersion: toolchain.kubernetes, bin: e.bin });
    if (kwok.exists() && !(await kwok.running()))
      await ui.step(`starting the local control plane ${localClusterName(stack, settings)}`, () =>
        kwok.ensure((settings as { nodes: number }).nodes),
      );
  }
  const args = [...OPS[op], "--stack", stack, "--non-interactive", ...configFileArgs(stack), ...extra];
  ui.info(`pulumi ${args.join(" ")}`);
  let code: number;
  try {
    code = await runPulumi(e, args);
  } finally {
    const left = await endRun(e.runId);
    if (left.length) ui.warn(`ended ${left.length} engine process(es) the run left behind`);
  }
  if (code === 0 && op === "up") {
    const outs = outputs(e, stack);
    for (const l of reachText(reachEndpoints((outs["endpoints"] ?? {}) as Record<string, string>))) ui.out(l);
    ui.out(`Kubeconfig: kuar kubeconfig --stack ${stack}`);
  }
  const secs = ((Date.now() - start) / 1000).toFixed(1);
  if (code === 0) ui.info(`${op} ${ui.paint("green", "finished")} in ${secs}s`);
  else ui.error(`${op} failed (pulumi exit ${code}) after ${secs}s; the engine's log is above`);
  return code;
}

/** The stack's outputs (secrets masked). */
export function outputs(e: Engine, stack: string, showSecrets = false): Record<string, unknown> {
  const r = pulumi(e.env, ["stack", "output", "--json", "--stack", stack, ...(showSecrets ? ["--show-secrets"] : [])], {
    quiet: true,
    allowFailure: true,
  });
  if (r.status !== 0) return {};
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Whether the stack exists in the backend. */
function exists(e: Engine, stack: string): boolean {
  const r = pulumi(e.env, ["stack", "ls", "--json"], { quiet: true, allowFailure: true });
  try {
    return (JSON.parse(r.stdout) as { name: string }[]).some((s) => s.name === stack);
  } catch {
    return false;
  }
}

/** `kuar status`: target, backend state, resource count, outputs, and the local control plane. */
export async function status(ui: Ui, stack: string, json: boolean): Promise<number> {
  const { target, settings } = stackTarget(stack);
  const e = await engine(ui, "cli");
  const report: Record<string, unknown> = { stack, target };
  if (!exists(e, stack)) {
    report["deployed"] = false;
  } else {
    const exp = pulumi(e.env, ["stack", "export", "--stack", stack], { quiet: true, allowFailure: true });
    const resources = exp.status === 0 ? (JSON.parse(exp.stdout).deployment?.resources ?? []) : [];
    report["deployed"] = resources.length > 0;
    report["resources"] = resources.length;
    const outs = outputs(e, stack);
    if (outs["endpoints"]) report["endpoints"] = outs["endpoints"];
    if (outs["skippedAddons"]) report["skippedAddons"] = outs["skippedAddons"];
  }
  if (target === "local") {
    const name = localClusterName(stack, settings);
    const kwok = new Kwok({ name, kubeVersion: toolchain.kubernetes, bin: e.bin });
    report["controlPlane"] = {
      name,
      state: !kwok.exists() ? "absent" : (await kwok.running()) ? "running" : "stopped",
    };
  }
  if (json) {
    ui.out(JSON.stringify(report, null, 2));
    return 0;
  }
  ui.out(`Stack     ${stack} (target ${target})`);
  ui.out(
    `Deployed  ${report["deployed"] ? `yes, ${String(report["resources"])} resources` : `no (run: kuar up --stack ${stack})`}`,
  );
  const cp = report["controlPlane"] as { name: string; state: string } | undefined;
  if (cp) ui.out(`Control   ${cp.name}: ${cp.state}`);
  if (report["endpoints"])
    for (const l of reachText(reachEndpoints(report["endpoints"] as Record<string, string>))) ui.out(l);
  return 0;
}

/** `kuar kubeconfig`: merges the stack's kubeconfig into the user's (or --file) and prints the export. */
export async function kubeconfig(
  ui: Ui,
  stack: string,
  opts: { file?: string; context?: string; print?: boolean },
): Promise<number> {
  stackTarget(stack);
  const e = await engine(ui, "cli");
  if (!exists(e, stack))
    throw new Refusal(`stack ${stack} is not deployed, so it has no kubeconfig yet. Run: kuar up --stack ${stack}`);
  const kc = outputs(e, stack, true)["kubeconfig"];
  if (typeof kc !== "string" || !kc.trim())
    throw new Refusal(
      `stack ${stack} has no kubeconfig output (its last up did not finish?). Run: kuar up --stack ${stack}`,
    );
  if (opts.print) {
    ui.out(kc.trimEnd());
    return 0;
  }
  const name = opts.context ?? defaultClusterName(stack);
  const file = opts.file ?? userKubeconfigPath();
  installContext(file, kc, name);
  ui.info(`wrote context ${name} to ${file} (mode 600)`);
  ui.out(`export KUBECONFIG=${file}`);
  ui.out(`kubectl config use-context ${name}`);
  return 0;
}
