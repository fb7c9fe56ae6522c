/**
 * Only the toolchain pieces a command needs. Storing a secret needs the Pulumi CLI; running the
 * engine on any stack needs the CLI, the Node.js language host and the Kubernetes provider; only
 * the local target also needs kube-apiserver, etcd and kwok. With KUAR_TOOLCHAIN=system nothing
 * is built (cli/engine.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { ensureToolchain, root, systemToolchain } from "./engine.js";

export type Need = "cli" | "engine" | "local";

/** The scripts/toolchain.sh component names (KUAR_TOOLCHAIN_ONLY words) for a need. */
export function componentsFor(need: Need): string[] {
  const cli = ["pulumi"];
  const engine = [...cli, "language-nodejs", "kube-provider"];
  if (need === "cli") return cli;
  if (need === "engine") return engine;
  return [...engine, "etcd", "kwok", "kubernetes"];
}

/** What a stack of `target` needs to run. */
export function needFor(target: string): Need {
  return target === "local" ? "local" : "engine";
}

/**
 * Builds (or reuses) the pieces for `need`; returns the toolchain's bin directory. `progress` is
 * told before a build that may take minutes.
 */
export function ensureFor(need: Need, progress: (line: string) => void = () => {}): string {
  if (systemToolchain) return ensureToolchain();
  const only = componentsFor(need).join(" ");
  const check = spawnSync("bash", [join(root, "scripts", "toolchain.sh"), "--check"], {
    stdio: "ignore",
    env: { ...process.env },
  });
  if (check.status !== 0) progress(`toolchain: making sure ${only} are built (the first build takes minutes)`);
  const prev = process.env["KUAR_TOOLCHAIN_ONLY"];
  process.env["KUAR_TOOLCHAIN_ONLY"] = only;
  try {
    return ensureToolchain();
  } finally {
    if (prev === undefined) delete process.env["KUAR_TOOLCHAIN_ONLY"];
    else process.env["KUAR_TOOLCHAIN_ONLY"] = prev;
  }
}

/** An executable: next to the toolchain's pulumi first, else on PATH; undefined when neither. */
export function findTool(name: string, bin: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [bin, ...(env["PATH"] ?? "").split(delimiter)].filter(Boolean);
  for (const d of dirs) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}
