/**
 * Long-running host processes the real nodes need (containerd, kubelet, kube-proxy, the volume
 * provisioner): started detached with a pid file and a log, found again by pid file, stopped by
 * their own pid. Nothing here ever signals a process it did not start.
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

/** Runs a command and returns its stdout; the error names the command and carries its stderr. */
export async function sh(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  if (opts.input !== undefined) {
    return new Promise((resolve, reject) => {
      const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, env: opts.env }, (err, stdout, stderr) =>
        err ? reject(new Error(`${cmd} ${args.join(" ")}: ${String(stderr).trim() || err.message}`)) : resolve(stdout),
      );
      child.stdin?.end(opts.input);
    });
  }
  try {
    const { stdout } = await execFileP(cmd, args, { maxBuffer: 64 * 1024 * 1024, env: opts.env });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")}: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

/** Like sh, but false instead of an error (for `iptables -C` and similar probes). */
export async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    await execFileP(cmd, args);
    return true;
  } catch {
    return false;
  }
}

export interface Daemon {
  /** Short name for logs. */
  name: string;
  exe: string;
  args: string[];
  pidFile: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/** The pid in the file when that process is alive and still runs `exe` (pids get reused). */
export function runningPid(pidFile: string, exe: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return cmdline[0] === exe ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the daemon unless it already runs; returns its pid. */
export async function ensureDaemon(d: Daemon): Promise<number> {
  const pid = runningPid(d.pidFile, d.exe);
  if (pid !== undefined) return pid;
  await mkdir(dirname(d.pidFile), { recursive: true });
  await mkdir(dirname(d.logFile), { recursive: true });
  const log = openSync(d.logFile, "a");
  const child = spawn(d.exe, d.args, { detached: true, stdio: ["ignore", log, log], env: d.env ?? process.env });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${d.name} (${d.exe}); see ${d.logFile}`);
  child.unref();
  await writeFile(d.pidFile, `${child.pid}\n`);
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; waits (bounded) until the process is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const alive = () => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let waited = 0; waited < graceMs && alive(); waited += 100) await sleep(100);
  if (alive()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      return;
    }
    for (let i = 0; i < 50 && alive(); i++) await sleep(100);
  }
}

export async function stopDaemon(d: Pick<Daemon, "pidFile" | "exe">, graceMs?: number): Promise<void> {
  const pid = runningPid(d.pidFile, d.exe);
  if (pid !== undefined) await stopPid(pid, graceMs);
  await rm(d.pidFile, { force: true });
}

/** Waits until `check` resolves true, at most `timeoutMs`; the error says what was awaited. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`);
}

/** Processes whose command line contains every one of `needles` (e.g. a shim of our socket). */
export function pidsMatching(needles: string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirProc()) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (needles.every((n) => cmd.includes(n))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}

function readdirProc(): string[] {
  try {
    return readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}
