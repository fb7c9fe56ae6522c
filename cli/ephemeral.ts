/**
 * Ephemeral clusters for CI, on the Automation API: a uniquely named stack made from a base
 * stack's config (deletion protection off, expiry recorded), up, smoke test, and a teardown that
 * always runs, is safe to repeat, and refuses any stack it did not create (cli/ownership.ts).
 */
import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from "@pulumi/pulumi/automation/index.js";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../config/load.js";
import { defaultClusterName, stackFileConfig, stackLabel } from "../config/stack-file.js";
import { toolchain } from "../config/versions.js";
import { Kwok } from "../providers/local/kwok.js";
import {
  backendDir,
  engineEnv,
  installKubernetesPlugin,
  projectName,
  removeStack,
  root,
  stateDir,
  systemToolchain,
} from "./engine.js";
import { Refusal, UsageError } from "./errors.js";
import { nameTaken, ownership, validSession, type Ownership, type Session } from "./ownership.js";
import { endRun, RUN_MARKER } from "./processes.js";
import { smokeTest, type SmokeResult } from "./smoke.js";
import { findTool } from "./toolchain.js";

export type { Session } from "./ownership.js";

export const sessionsDir = join(stateDir, "ephemeral");
const PREFIX = "ci-";

export interface Context {
  bin: string;
  log: (line: string) => void;
  /** Where the engine's own output goes (stderr by default). */
  engineOut?: (text: string) => void;
  /** Aborts a running up/destroy (wired to SIGINT/SIGTERM by the CLI). */
  signal?: AbortSignal;
  /** Marks every process the engine starts (cli/processes.ts), so none outlives the run. */
  runId?: string;
  /**
   * Builds what a stack of `target` needs once it is known to be ours (down and reap check
   * ownership with the Pulumi CLI alone, so a refusal never waits for a toolchain build).
   */
  prepare?: (target: string) => Promise<void>;
}

/** "90m", "2h", "1d" -> milliseconds; at least one minute. */
export function parseTtl(ttl: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(ttl.trim());
  if (!m) throw new UsageError(`--ttl: expected a duration like 90m, 2h or 1d, got "${ttl}"`);
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
  if (ms <= 0) throw new UsageError(`--ttl: must be at least 1m, got "${ttl}". Use e.g. --ttl 30m.`);
  return ms;
}

/** A stack name: `ci-<base>-<6 hex>` unless given. */
export function ephemeralName(base: string, name?: string): string {
  const n = name ?? `${PREFIX}${stackLabel(base)}-${randomBytes(3).toString("hex")}`;
  if (!/^[a-z0-9][a-z0-9-]{0,50}$/.test(n)) {
    throw new UsageError(`--name: expected lowercase letters, digits and dashes (at most 51), got "${n}"`);
  }
  return n;
}

async function workspace(ctx: Context) {
  const envVars = engineEnv(ctx.bin) as Record<string, string>;
  if (ctx.runId) envVars[RUN_MARKER] = ctx.runId;
  if (systemToolchain || existsSync(kubernetesPlugin(ctx.bin))) installKubernetesPlugin(envVars, ctx.bin);
  const pulumiCommand = await PulumiCommand.get({ root: join(ctx.bin, ".."), skipVersionCheck: false }).catch(() =>
    PulumiCommand.get({ skipVersionCheck: false }),
  );
  return LocalWorkspace.create({ workDir: root, envVars, pulumiCommand });
}

const kubernetesPlugin = (bin: string) => join(bin, "..", "plugins", "pulumi-resource-kubernetes");

function sessionFile(stack: string): string {
  return join(sessionsDir, `${stack}.json`);
}

const stackFilePath = (stack: string) => join(root, "stacks", `Pulumi.${stack}.yaml`);

/** Whether git tracks `stacks/Pulumi.<stack>.yaml` (false outside a git checkout). */
export function trackedByGit(stack: string): boolean {
  return (
    spawnSync("git", ["ls-files", "--error-unmatch", stackFilePath(stack)], { cwd: root, stdio: "ignore" }).status === 0
  );
}

/** The session record on disk for `stack` (parsed, unchecked), or undefined. */
function sessionRecord(stack: string): unknown {
  const f = sessionFile(stack);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, "utf8"));
  } catch {
    return undefined;
  }
}

/** The stack `up` created last in this checkout, when its record is intact. */
export function currentStack(): string | undefined {
  const cur = join(sessionsDir, "current");
  if (!existsSync(cur)) return undefined;
  const name = readFileSync(cur, "utf8").trim();
  return validSession(name, sessionRecord(name)) ? name : undefined;
}

/** A session `up` wrote, or undefined (never invented from a bare name). */
export function readSession(stack?: string): Session | undefined {
  const name = stack ?? currentStack();
  if (!name) return undefined;
  const s = sessionRecord(name);
  return validSession(name, s) ? s : undefined;
}

/**
 * The marker `up` leaves on a stack, from its config (the stack file) or, when that file is not
 * on this machine (a reaper on another runner sharing the backend), from its state's outputs.
 */
async function markers(ws: LocalWorkspace, name: string): Promise<Record<string, string> | undefined> {
  const cfg: Record<string, string> = {};
  try {
    for (const [k, v] of Object.entries(await ws.getAllConfig(name))) if (!v.secret) cfg[k] = v.value;
  } catch {
    // no readable config here; the state may still say
  }
  if (cfg["kuar:ephemeral"] !== undefined) return cfg;
  try {
    const dep = (await ws.exportStack(name)) as {
      deployment?: { resources?: { type: string; outputs?: Record<string, unknown> }[] };
    };
    const outs = dep.deployment?.resources?.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
    const eph = outs["ephemeral"] as { enabled?: unknown; expiresAt?: unknown } | undefined;
    if (eph && typeof eph === "object") {
      cfg["kuar:ephemeral"] = String(eph.enabled);
      if (typeof eph.expiresAt === "string") cfg["kuar:expiresAt"] = eph.expiresAt;
      if (outs["target"] === "local" && typeof outs["clusterName"] === "string") {
        cfg["kuar:target"] = "local";
        cfg["kuar:local"] = JSON.stringify({ clusterName: outs["clusterName"] });
      }
    }
  } catch {
    // no state to read
  }
  return Object.keys(cfg).length ? cfg : undefined;
}

/** Gathers the facts and decides (cli/ownership.ts). */
export async function checkOwnership(ws: LocalWorkspace, name: string): Promise<Ownership> {
  const stackExists = (await ws.listStacks()).some((s) => s.name === name);
  const config = stackExists ? await markers(ws, name) : undefined;
  return ownership({
    name,
    session: sessionRecord(name),
    stackExists,
    ...(config ? { config } : {}),
    stackFileTracked: trackedByGit(name),
  });
}

/** Plain values from the base stack file; secrets decrypted from the base stack when it exists in the backend. */
async function baseConfig(ws: LocalWorkspace, base: string): Promise<ConfigMap> {
  const file = stackFilePath(base);
  if (!existsSync(file))
    throw new UsageError(`--from: no stack file stacks/Pulumi.${base}.yaml; pick one of: ${stackFiles().join(", ")}`);
  const { raw, secureKeys } = stackFileConfig(file);
  const config: ConfigMap = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { value: v, secret: false }]));
  if (secureKeys.length) {
    const all = await ws.getAllConfig(base).catch(() => {
      throw new Error(
        `--from ${base}: its secrets (${secureKeys.join(", ")}) can only be read from the stack itself; run "kuar status --stack ${base}" with its passphrase first`,
      );
    });
    for (const k of secureKeys) if (all[k]) config[k] = { value: all[k]!.value, secret: true };
  }
  return config;
}

export function stackFiles(): string[] {
  return readdirSync(join(root, "stacks"))
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f) && !f.startsWith(`Pulumi.${PREFIX}`))
    .map((f) => f.slice(7, -5));
}

/** The base stack's target, read from its file without the engine (to pick the toolchain). */
export function baseTarget(base: string): string {
  const file = stackFilePath(base);
  if (!existsSync(file))
    throw new UsageError(`--from: no stack file stacks/Pulumi.${base}.yaml; pick one of: ${stackFiles().join(", ")}`);
  return parseConfig(stackFileConfig(file).raw).target;
}

export interface UpResult {
  session: Session;
  outputs: Record<string, unknown>;
}

export interface UpOptions {
  from: string;
  ttl?: string;
  name?: string;
  /** Called once the session record is written (before the stack exists): from then on, down owns it. */
  onSession?: (s: Session) => void;
}

export async function up(ctx: Context, opts: UpOptions): Promise<UpResult> {
  const ttl = parseTtl(opts.ttl ?? "2h");
  const stackName = ephemeralName(opts.from, opts.name);
  const ws = await workspace(ctx);
  const taken = nameTaken(stackName, {
    stackFileExists: existsSync(stackFilePath(stackName)),
    stackExists: (await ws.listStacks()).some((s) => s.name === stackName),
  });
  if (taken) throw new Refusal(taken);
  const config = await baseConfig(ws, opts.from);
  const expiresAt = new Date(Date.now() + ttl).toISOString();
  config["kuar:ephemeral"] = { value: "true", secret: false };
  config["kuar:expiresAt"] = { value: expiresAt, secret: false };

  // Validate before creating anything; a local base gets its own control plane.
  const flatPlain = Object.fromEntries(
    Object.entries(config)
      .filter(([, v]) => !v.secret)
      .map(([k, v]) => [k, v.value]),
  );
  const parsed = parseConfig(flatPlain);
  // Everything is checked: only now build what the target needs (never for a refused name).
  if (ctx.prepare) {
    await ctx.prepare(parsed.target);
    installKubernetesPlugin(ws.envVars, ctx.bin);
  }
  let localCluster: string | undefined;
  if (parsed.target === "local") {
    localCluster = defaultClusterName(stackName);
    const local = { ...(parsed.settings as object), clusterName: localCluster };
    config["kuar:local"] = { value: JSON.stringify(local), secret: false };
  }

  mkdirSync(sessionsDir, { recursive: true, mode: 0o700 });
  const session: Session = {
    stack: stackName,
    base: opts.from,
    target: parsed.target,
    expiresAt,
    kubeconfig: join(sessionsDir, `${stackName}.kubeconfig`),
    ...(localCluster ? { localCluster } : {}),
  };
  // Written before the stack exists, so an interrupted up can always be found and torn down.
  writeFileSync(sessionFile(stackName), JSON.stringify(session, null, 2));
  writeFileSync(join(sessionsDir, "current"), stackName);
  opts.onSession?.(session);

  ctx.signal?.throwIfAborted();
  ctx.log(`ephemeral: creating stack ${stackName} from ${opts.from} (expires ${expiresAt})`);
  const stack = await LocalWorkspace.createStack(
    { stackName, workDir: root },
    { envVars: ws.envVars, pulumiCommand: ws.pulumiCommand },
  );
  await stack.setAllConfig(config);
  // An abort that came before the engine started is never passed on to it: stop here instead.
  ctx.signal?.throwIfAborted();
  // Pulumi stops gracefully on SIGINT; one that does not within ABORT_GRACE_MS is ended with its plugins.
  let force: NodeJS.Timeout | undefined;
  const onAbort = () => {
    force = setTimeout(() => {
      ctx.log(`ephemeral: the engine did not stop within ${ABORT_GRACE_MS / 1000}s of the interrupt; ending it`);
      if (ctx.runId) void endRun(ctx.runId);
    }, ABORT_GRACE_MS);
  };
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await stack.up({ onOutput: engineOut(ctx), ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } finally {
    clearTimeout(force);
    ctx.signal?.removeEventListener("abort", onAbort);
    await endPlugins(ctx);
  }
  const outs = await stack.outputs();
  const kubeconfig = outs["kubeconfig"]?.value as string | undefined;
  if (kubeconfig) writeFileSync(session.kubeconfig, kubeconfig, { mode: 0o600 });
  const outputs = Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
  return { session, outputs };
}

/** How long an interrupted engine may take to stop on its own. */
export const ABORT_GRACE_MS = 90_000;

const engineOut = (ctx: Context) => ctx.engineOut ?? ((o: string) => process.stderr.write(o));

/** Ends any engine process of this run still alive (an interrupted engine can leave plugins behind). */
async function endPlugins(ctx: Context): Promise<void> {
  if (!ctx.runId) return;
  const left = await endRun(ctx.runId);
  if (left.length)
    ctx.log(`ephemeral: ended ${left.length} engine process(es) left by the run: ${left.map((p) => p.pid).join(", ")}`);
}

export async function test(ctx: Context, stack?: string): Promise<SmokeResult> {
  const session = readSession(stack);
  if (!session?.kubeconfig || !existsSync(session.kubeconfig)) {
    throw new Refusal(`no kubeconfig for ${stack ?? "the current ephemeral stack"}; run "kuar ephemeral up" first`);
  }
  const kubectl = findTool("kubectl", ctx.bin);
  if (!kubectl)
    throw new Refusal(
      `kubectl not found next to ${join(ctx.bin, "pulumi")} or on PATH; install kubectl (https://kubernetes.io/docs/tasks/tools/) and run the test again`,
    );
  return smokeTest(kubectl, session.kubeconfig, ctx.log);
}

/**
 * Destroys with retries, removes the stack and its local files; safe to call twice. Refuses
 * (throws Refusal, touching nothing) a stack kuar ephemeral up did not create.
 */
export async function down(ctx: Context, stack?: string, attempts = 3): Promise<void> {
  const name = stack ?? currentStack();
  if (!name) {
    ctx.log("ephemeral: nothing to tear down (no --name, and no current session)");
    return;
  }
  const ws = await workspace(ctx);
  const own = await checkOwnership(ws, name);
  if (!own.owned) {
    if (own.absent) {
      ctx.log(`ephemeral: ${own.reason}`);
      return;
    }
    throw new Refusal(own.reason);
  }
  const session = own.session;
  if (ctx.prepare) {
    await ctx.prepare(session.localCluster ? "local" : session.target || "local");
    installKubernetesPlugin(ws.envVars, ctx.bin);
  }
  if (own.inBackend) {
    const st = await LocalWorkspace.selectStack(
      { stackName: name, workDir: root },
      { envVars: ws.envVars, pulumiCommand: ws.pulumiCommand },
    );
    try {
      await destroyWithRetries(ctx, st, name, attempts);
    } finally {
      await endPlugins(ctx);
    }
    // Not the Automation API's removeStack: it cannot pass --remove-backups (engine.ts removeStack).
    removeStack(ws.envVars, name);
  } else {
    ctx.log(`ephemeral: stack ${name} is already gone from the backend`);
  }
  // A control plane created by an interrupted up may not be in state yet: remove it by name.
  if (session.localCluster)
    await new Kwok({ name: session.localCluster, kubeVersion: toolchain.kubernetes, bin: ctx.bin }).delete();
  // Ownership checked above: the stack file is not tracked by git, and it is this stack's own.
  for (const f of [session.kubeconfig, sessionFile(name), stackFilePath(name)]) {
    if (f) rmSync(f, { force: true });
  }
  const cur = join(sessionsDir, "current");
  if (existsSync(cur) && readFileSync(cur, "utf8").trim() === name) rmSync(cur);
  ctx.log(`ephemeral: ${name} torn down`);
}

async function destroyWithRetries(ctx: Context, st: Stack, name: string, attempts: number): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await st.destroy({ onOutput: engineOut(ctx) });
      return;
    } catch (e) {
      const msg = String(e);
      // An up killed mid-flight leaves the file backend's lock behind; this stack is being torn down, so clear it.
      if (/currently locked/.test(msg)) clearLocks(name);
      if (i >= attempts) throw new Error(`destroy of ${name} failed after ${attempts} attempts`, { cause: e });
      ctx.log(`ephemeral: destroy attempt ${i} failed, retrying in ${2 * i}s`);
      await new Promise((r) => setTimeout(r, 2000 * i));
    }
  }
}

function clearLocks(stack: string): void {
  const locks = join(backendDir, ".pulumi", "locks");
  if (!existsSync(locks)) return;
  for (const org of readdirSync(locks)) {
    const dir = join(locks, org, projectName(), stack);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Destroys every ephemeral stack whose expiry has passed. Returns the names reaped. */
export async function reap(ctx: Context, now = new Date()): Promise<string[]> {
  const ws = await workspace(ctx);
  const reaped: string[] = [];
  const candidates = new Set((await ws.listStacks()).map((s) => s.name).filter((n) => n.startsWith(PREFIX)));
  // Sessions whose up was interrupted before the stack existed still own a control plane name.
  if (existsSync(sessionsDir))
    for (const f of readdirSync(sessionsDir).filter((x) => x.endsWith(".json"))) candidates.add(f.slice(0, -5));
  for (const name of [...candidates].sort()) {
    const own = await checkOwnership(ws, name);
    if (!own.owned) {
      if (!own.absent) ctx.log(`ephemeral: reap skips ${name}: ${own.reason}`);
      continue;
    }
    if (new Date(own.session.expiresAt) > now) continue;
    ctx.log(`ephemeral: reaping ${name} (expired ${own.session.expiresAt})`);
    await down(ctx, name);
    reaped.push(name);
  }
  return reaped;
}
