/**
 * Read-only preflight checks: each target's own (its tools, credentials and machines, from its
 * setup.ts), run by one loop that names no target. Nothing here changes anything; every command
 * has a short timeout, and a missing tool is a WARN with its install hint, never a crash.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { defaultTarget, targetByName } from "../providers/registry.js";
import type { Check, PreflightDeps, Probe, Status } from "../providers/setup.js";

export type { Check, PreflightDeps, Probe, ProbeResult, Status } from "../providers/setup.js";
export { TIMEOUT_MS } from "../providers/setup.js";

export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.status}  ${c.name.padEnd(width)}  ${c.detail}`).join("\n");
}

export function verdict(checks: readonly Check[]): string {
  const n = (s: Status) => checks.filter((c) => c.status === s).length;
  const fail = n("FAIL");
  const warn = n("WARN");
  return `preflight: ${n("PASS")} passed, ${warn} warning${warn === 1 ? "" : "s"}, ${fail} failed${
    fail ? " (the stack config is still valid; fix these before pulumi up)" : ""
  }`;
}

/** Every check for a stack config (`kuar:*` keys without namespace): the chosen target's own. */
export async function preflight(config: Record<string, unknown>, deps: PreflightDeps): Promise<Check[]> {
  const target = targetByName(String(config["target"] ?? defaultTarget));
  const settings = (config[target.name] ?? {}) as Record<string, unknown>;
  const setup = await target.setup();
  return setup.preflight ? setup.preflight(settings, deps) : [];
}

/** Runs a command with a timeout; never throws. */
export const probe: Probe = (cmd, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8", maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
      resolve({
        code: e ? (typeof e.code === "number" ? e.code : null) : 0,
        stdout: stdout ?? "",
        stderr: stderr ?? "",
        timedOut: !!e?.killed,
        missing: e?.code === "ENOENT",
      });
    });
  });

export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

export function defaultPreflightDeps(env: NodeJS.ProcessEnv = process.env): PreflightDeps {
  return { probe, which: (n) => onPath(n, env), exists: existsSync, env, home: homedir() };
}
