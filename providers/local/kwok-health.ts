/**
 * Whether every component kwokctl started is still running. kwokctl v0.8.0 picks each
 * component's port at create time by counting down from 32767 and test-binding it
 * (pkg/utils/net/unused_port.go), with nothing reserved across processes: two clusters created
 * at the same moment on one machine can be handed the same port, and the component that starts
 * second exits with "bind: address already in use" while `kwokctl create cluster --wait` still
 * succeeds. A dead kwok-controller means nodes that never turn (or stop being) Ready.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../../common/pid.js";

export interface DeadComponent {
  component: string;
  /** The last line of its log that says why, or its last line. */
  why: string;
}

/** The last error of a component's log (kwok logs JSON lines; the others klog text). */
export function lastError(log: string): string {
  const lines = log.split("\n").filter((l) => l.trim());
  const pick =
    [...lines].reverse().find((l) => /error|fatal|failed|address already in use|^[EF]\d{4} /i.test(l)) ?? lines.at(-1);
  if (!pick) return "no log";
  try {
    const j = JSON.parse(pick) as { msg?: string; err?: string };
    return [j.msg, j.err].filter(Boolean).join(": ") || pick;
  } catch {
    return pick.trim().slice(0, 300);
  }
}

/** Components of the cluster in `dir` (kwokctl's pids/ and logs/) whose process is gone. */
export function deadComponents(dir: string, alive: (pid: number) => boolean = isAlive): DeadComponent[] {
  const pids = join(dir, "pids");
  if (!existsSync(pids)) return [];
  const out: DeadComponent[] = [];
  for (const f of readdirSync(pids)
    .filter((x) => x.endsWith(".pid"))
    .sort()) {
    const component = f.slice(0, -4);
    const pid = Number(readFileSync(join(pids, f), "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    const log = join(dir, "logs", `${component}.log`);
    out.push({ component, why: existsSync(log) ? lastError(readFileSync(log, "utf8")) : "no log" });
  }
  return out;
}

/**
 * Waits until the kwok controller got past its wait for the API server (it logs "Watch ...",
 * then binds its own server) plus `graceMs`, at most `maxMs`; returns the components dead by then.
 */
export async function settledComponents(dir: string, graceMs = 2000, maxMs = 30_000): Promise<DeadComponent[]> {
  const log = join(dir, "logs", "kwok-controller.log");
  const t0 = Date.now();
  while (Date.now() - t0 < maxMs) {
    if (deadComponents(dir).length) break;
    if (existsSync(log) && /"msg":"Watch /.test(readFileSync(log, "utf8"))) {
      await new Promise((r) => setTimeout(r, graceMs));
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return deadComponents(dir);
}
