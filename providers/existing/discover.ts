/**
 * Talking to the cluster before any resource registers: kubectl renders the chosen context as one
 * self-contained kubeconfig and answers the discovery reads. Every command is a read (`get`,
 * `config view`); kuar never changes, creates or deletes the cluster itself.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { discoveryReads, kubeconfigRead, parseFacts, target, type ApiFacts } from "./plan.js";

/** Runs kubectl with arguments and returns its standard output; throws with its error output. */
export type Kubectl = (args: string[]) => string;

export function kubectlAt(binary: string, timeoutMs = 30_000): Kubectl {
  return (args) => {
    try {
      return execFileSync(binary, args, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      const err = e as { stderr?: string; code?: string; message: string };
      const why = err.code === "ENOENT" ? `${binary} not found` : err.stderr?.trim() || err.message;
      throw new Error(`kubectl ${args.filter((a) => !a.includes("/")).join(" ")}: ${why}`, { cause: e });
    }
  };
}

/** `~/x` -> `<home>/x`. */
export function expandHome(path: string, home = homedir()): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

export interface Connection {
  /** One context, certificates embedded: what the Kubernetes provider gets. */
  kubeconfig: string;
  facts: ApiFacts | undefined;
}

/**
 * Renders the context and, when asked, reads the facts. An inline kubeconfig is written to a
 * private temporary file for kubectl and removed right after.
 */
export function connect(
  kubectl: Kubectl,
  source: { path?: string; inline?: string },
  context: string | undefined,
  discover: boolean,
): Connection {
  let dir: string | undefined;
  let file = source.path ? expandHome(source.path) : "";
  if (source.inline !== undefined) {
    dir = mkdtempSync(join(tmpdir(), "kuar-existing-"));
    file = join(dir, "kubeconfig");
    writeFileSync(file, source.inline, { mode: 0o600 });
  }
  try {
    const at = target(file, context);
    const kubeconfig = kubectl([...kubeconfigRead(), ...at]);
    if (!discover) return { kubeconfig, facts: undefined };
    const reads = discoveryReads();
    const out = Object.fromEntries(Object.entries(reads).map(([k, args]) => [k, kubectl([...args, ...at])])) as Record<
      keyof ApiFacts,
      string
    >;
    return { kubeconfig, facts: parseFacts(out) };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
