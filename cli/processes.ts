/**
 * Every process a kuar run started, found by a marker in its environment. The Pulumi CLI passes
 * its environment on to the language host and to every plugin it launches, so a run that sets
 * `KUAR_RUN=<id>` can find (and end) each of them afterwards, even those an interrupted engine
 * left behind with parent 1. Linux only (/proc); elsewhere nothing is found.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { isAlive } from "../common/pid.js";

export const RUN_MARKER = "KUAR_RUN";

export function newRunId(): string {
  return randomBytes(6).toString("hex");
}

export interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

/** Parses /proc/<pid>/stat's parent pid (the field after the parenthesised command name). */
export function ppidFromStat(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(rest[1]);
}

/**
 * Whether a command line is the Pulumi engine's: the CLI, a plugin or language host
 * (`pulumi-resource-kubernetes`, `pulumi-language-nodejs`), or the Node.js program or dynamic
 * provider they run. A local control plane started during the run (kube-apiserver, etcd, kwok)
 * carries the marker too, and must be left alone.
 */
export function isEngineProcess(args: string): boolean {
  const argv = args.split(" ");
  const exe = (argv[0] ?? "").split("/").pop() ?? "";
  if (/^pulumi(-|$)/.test(exe)) return true;
  return /^node(js)?$/.test(exe) && argv.some((a) => a.includes("@pulumi/pulumi/"));
}

/** Processes (other than this one) whose environment holds `KUAR_RUN=<id>`. */
export function processesOfRun(id: string, procDir = "/proc"): Proc[] {
  const want = `${RUN_MARKER}=${id}`;
  const out: Proc[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`${procDir}/${e}/environ`, "latin1").split("\0");
      if (!env.includes(want)) continue;
      const args = readFileSync(`${procDir}/${e}/cmdline`, "latin1").split("\0").join(" ").trim();
      out.push({ pid: Number(e), ppid: ppidFromStat(readFileSync(`${procDir}/${e}/stat`, "latin1")), args });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/**
 * Ends every engine process of run `id` (see isEngineProcess): SIGTERM, then SIGKILL for those still there after `graceMs`.
 * Returns what was found (for the log).
 */
export async function endRun(id: string, graceMs = 5000): Promise<Proc[]> {
  const found = processesOfRun(id).filter((p) => isEngineProcess(p.args));
  for (const p of found) {
    try {
      process.kill(p.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (found.some((p) => isAlive(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const p of found.filter((x) => isAlive(x.pid))) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return found;
}
