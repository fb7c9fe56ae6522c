/**
 * Ephemeral clusters for CI, on the Automation API: a uniquely named stack made from a base
 * stack's config (deletion protection off, expiry recorded), up, smoke test, and a teardown that
 * always runs and is safe to repeat.
 */
import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from "@pulumi/pulumi/automation/index.js";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../config/load.js";
import { stackFileConfig, stackLabel } from "../config/stack-file.js";
import { toolchain } from "../config/versions.js";
import { Kwok } from "../providers/local/kwok.js";
import { backendDir, engineEnv, installKubernetesPlugin, root, stateDir } from "../scripts/lib/engine.js";
import { smokeTest, type SmokeResult } from "./smoke.js";

export const sessionsDir = join(stateDir, "ephemeral");
const PREFIX = "ci-";

export interface Session {
  stack: string;
  base: string;
  target: string;
  expiresAt: string;
  kubeconfig: string;
  /** The local control plane's name, when the base targets local (for a last-resort cleanup). */
  localCluster?: string;
}

export interface Context {
  bin: string;
  log: (line: string) => void;
  /** Aborts a running up/destroy (wired to SIGINT/SIGTERM by the CLI). */
  signal?: AbortSignal;
}

/** "90m", "2h", "1d" -> milliseconds. */
export function parseTtl(ttl: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(ttl.trim());
  if (!m) throw new Error(`--ttl: expected a duration like 90m, 2h or 1d, got "${ttl}"`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
}

/** A stack name: `ci-<base>-<6 hex>` unless given. */
export function ephemeralName(base: string, name?: string): string {
  const n = name ?? `${PREFIX}${stackLabel(base)}-${randomBytes(3).toString("hex")}`;
  if (!/^[a-z0-9][a-z0-9-]{0,50}$/.test(n)) {
    throw new Error(`--name: expected lowercase letters, digits and dashes (at most 51), got "${n}"`);
  }
  return n;
}

async function workspace(ctx: Context) {
  const envVars = engineEnv(ctx.bin) as Record<string, string>;
  installKubernetesPlugin(envVars, ctx.bin);
  const pulumiCommand = await PulumiCommand.get({ root: join(ctx.bin, ".."), skipVersionCheck: false }).catch(() =>
    PulumiCommand.get({ skipVersionCheck: false }),
  );
  const ws = await LocalWorkspace.create({ workDir: root, envVars, pulumiCommand });
  return ws;
}

function sessionFile(stack: string): string {
  return join(sessionsDir, `${stack}.json`);
}

export function readSession(stack?: string): Session | undefined {
  const name =
    stack ??
    (existsSync(join(sessionsDir, "current")) ? readFileSync(join(sessionsDir, "current"), "utf8").trim() : undefined);
  if (!name) return undefined;
  const f = sessionFile(name);
  return existsSync(f)
    ? (JSON.parse(readFileSync(f, "utf8")) as Session)
    : { stack: name, base: "", target: "", expiresAt: "", kubeconfig: "" };
}

/** Plain values from the base stack file; secrets decrypted from the base stack when it exists in the backend. */
async function baseConfig(ws: LocalWorkspace, base: string): Promise<ConfigMap> {
  const file = join(root, "stacks", `Pulumi.${base}.yaml`);
  if (!existsSync(file))
    throw new Error(`--from: no stack file stacks/Pulumi.${base}.yaml; pick one of: ${stackFiles().join(", ")}`);
  const { raw, secureKeys } = stackFileConfig(file);
  const config: ConfigMap = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { value: v, secret: false }]));
  if (secureKeys.length) {
    const all = await ws.getAllConfig(base).catch(() => {
      throw new Error(
        `--from ${base}: its secrets (${secureKeys.join(", ")}) can only be read from the stack itself; run "pulumi stack select ${base}" with its passphrase first`,
      );
    });
    for (const k of secureKeys) if (all[k]) config[k] = { value: all[k]!.value, secret: true };
  }
  return config;
}

function stackFiles(): string[] {
  return readdirSync(join(root, "stacks"))
    .filter((f) => /^Pulumi\..+\.yaml$/.test(f) && !f.startsWith(`Pulumi.${PREFIX}`))
    .map((f) => f.slice(7, -5));
}

export interface UpResult {
  session: Session;
  outputs: Record<string, unknown>;
}

export async function up(ctx: Context, opts: { from: string; ttl?: string; name?: string }): Promise<UpResult> {
  const ttl = parseTtl(opts.ttl ?? "2h");
  const stackName = ephemeralName(opts.from, opts.name);
  const ws = await workspace(ctx);
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
  let localCluster: string | undefined;
  if (parsed.target === "local") {
    localCluster = `kuar-${stackName}`;
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

  ctx.log(`ephemeral: creating stack ${stackName} from ${opts.from} (expires ${expiresAt})`);
  const stack = await LocalWorkspace.createStack(
    { stackName, workDir: root },
    { envVars: ws.envVars, pulumiCommand: ws.pulumiCommand },
  );
  await stack.setAllConfig(config);
  await stack.up({ onOutput: (o) => process.stderr.write(o), ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const outs = await stack.outputs();
  const kubeconfig = outs["kubeconfig"]?.value as string | undefined;
  if (kubeconfig) writeFileSync(session.kubeconfig, kubeconfig, { mode: 0o600 });
  const outputs = Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
  return { session, outputs };
}

export async function test(ctx: Context, stack?: string): Promise<SmokeResult> {
  const session = readSession(stack);
  if (!session?.kubeconfig || !existsSync(session.kubeconfig)) {
    throw new Error(`no kubeconfig for ${stack ?? "the current ephemeral stack"}; run "kuar ephemeral up" first`);
  }
  return smokeTest(join(ctx.bin, "kubectl"), session.kubeconfig, ctx.log);
}

/** Destroys with retries, removes the stack and local files. Safe to call twice. */
export async function down(ctx: Context, stack?: string, attempts = 3): Promise<void> {
  const session = readSession(stack);
  if (!session) {
    ctx.log("ephemeral: nothing to tear down");
    return;
  }
  const ws = await workspace(ctx);
  const exists = (await ws.listStacks()).some((s) => s.name === session.stack);
  if (exists) {
    const st = await LocalWorkspace.selectStack(
      { stackName: session.stack, workDir: root },
      { envVars: ws.envVars, pulumiCommand: ws.pulumiCommand },
    );
    await destroyWithRetries(ctx, st, session.stack, attempts);
    await ws.removeStack(session.stack, { force: true });
  } else {
    ctx.log(`ephemeral: stack ${session.stack} is already gone`);
  }
  // A control plane created by an interrupted up may not be in state yet: remove it by name.
  if (session.localCluster)
    await new Kwok({ name: session.localCluster, kubeVersion: toolchain.kubernetes, bin: ctx.bin }).delete();
  for (const f of [
    session.kubeconfig,
    sessionFile(session.stack),
    join(root, "stacks", `Pulumi.${session.stack}.yaml`),
  ]) {
    if (f) rmSync(f, { force: true });
  }
  const cur = join(sessionsDir, "current");
  if (existsSync(cur) && readFileSync(cur, "utf8").trim() === session.stack) rmSync(cur);
  ctx.log(`ephemeral: ${session.stack} torn down`);
}

async function destroyWithRetries(ctx: Context, st: Stack, name: string, attempts: number): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await st.destroy({ onOutput: (o) => process.stderr.write(o) });
      return;
    } catch (e) {
      const msg = String(e);
      // An up killed mid-flight leaves the file backend's lock behind; this stack is being torn down, so clear it.
      if (/currently locked/.test(msg)) clearLocks(name);
      if (i >= attempts) throw new Error(`destroy of ${name} failed after ${attempts} attempts: ${msg}`, { cause: e });
      ctx.log(`ephemeral: destroy attempt ${i} failed, retrying in ${2 * i}s`);
      await new Promise((r) => setTimeout(r, 2000 * i));
    }
  }
}

function clearLocks(stack: string): void {
  const locks = join(backendDir, ".pulumi", "locks");
  if (!existsSync(locks)) return;
  for (const org of readdirSync(locks)) {
    const dir = join(locks, org, "kuar", stack);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Destroys every ephemeral stack whose expiry has passed. Returns the names reaped. */
export async function reap(ctx: Context, now = new Date()): Promise<string[]> {
  const ws = await workspace(ctx);
  const reaped: string[] = [];
  for (const s of await ws.listStacks()) {
    if (!s.name.startsWith(PREFIX)) continue;
    const cfg = await ws.getAllConfig(s.name).catch(() => ({}) as ConfigMap);
    const ephemeral = cfg["kuar:ephemeral"]?.value === "true";
    const expires = cfg["kuar:expiresAt"]?.value;
    if (!ephemeral || !expires || new Date(expires) > now) continue;
    ctx.log(`ephemeral: reaping ${s.name} (expired ${expires})`);
    if (!existsSync(sessionFile(s.name))) {
      const local = cfg["kuar:local"] ? (JSON.parse(cfg["kuar:local"].value) as { clusterName?: string }) : undefined;
      mkdirSync(sessionsDir, { recursive: true, mode: 0o700 });
      writeFileSync(
        sessionFile(s.name),
        JSON.stringify({
          stack: s.name,
          base: "",
          target: "",
          expiresAt: expires,
          kubeconfig: "",
          ...(local?.clusterName ? { localCluster: local.clusterName } : {}),
        }),
      );
    }
    await down(ctx, s.name);
    reaped.push(s.name);
  }
  // Sessions whose up was interrupted before the stack existed still own a control plane name.
  if (existsSync(sessionsDir)) {
    for (const f of readdirSync(sessionsDir).filter((x) => x.endsWith(".json"))) {
      const session = JSON.parse(readFileSync(join(sessionsDir, f), "utf8")) as Session;
      if (reaped.includes(session.stack) || !session.expiresAt || new Date(session.expiresAt) > now) continue;
      ctx.log(`ephemeral: reaping leftover session ${session.stack} (expired ${session.expiresAt})`);
      await down(ctx, session.stack);
      reaped.push(session.stack);
    }
  }
  return reaped;
}
