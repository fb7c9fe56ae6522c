/**
 * `kuar kubeconfig`: a stack's kubeconfig merged into the user's as one named context (cluster,
 * user and context entries renamed after it), replacing only entries of that name, written
 * atomically with mode 600. The merge is a pure function on YAML text.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { parse, stringify } from "yaml";

interface Named {
  name: string;
  [k: string]: unknown;
}
interface KubeConfig {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  "current-context"?: string;
  [k: string]: unknown;
}

function load(text: string | undefined, what: string): KubeConfig {
  if (!text || !text.trim()) return {};
  const doc = parse(text) as unknown;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${what}: expected a kubeconfig mapping`);
  return doc as KubeConfig;
}

/**
 * Merges the single context of `incoming` (its current one, else its first) into `existing`
 * under `name`. Entries named `name` are replaced; everything else is kept as it was.
 */
export function mergeKubeconfig(
  existing: string | undefined,
  incoming: string,
  name: string,
  opts: { setCurrent?: boolean } = {},
): string {
  const src = load(incoming, "the stack's kubeconfig");
  const ctx =
    src.contexts?.find((c) => c.name === src["current-context"]) ?? (src.contexts ? src.contexts[0] : undefined);
  if (!ctx) throw new Error("the stack's kubeconfig has no context");
  const inner = (ctx["context"] ?? {}) as { cluster?: string; user?: string; namespace?: string };
  const cluster = src.clusters?.find((c) => c.name === inner.cluster);
  const user = src.users?.find((u) => u.name === inner.user);
  if (!cluster) throw new Error(`the stack's kubeconfig has no cluster "${inner.cluster}"`);
  if (!user) throw new Error(`the stack's kubeconfig has no user "${inner.user}"`);

  const dst = load(existing, "your kubeconfig");
  const put = (list: Named[] | undefined, entry: Named) => [...(list ?? []).filter((e) => e.name !== name), entry];
  const out: KubeConfig = {
    apiVersion: dst.apiVersion ?? "v1",
    kind: dst.kind ?? "Config",
    ...dst,
    clusters: put(dst.clusters, { name, cluster: cluster["cluster"] }),
    users: put(dst.users, { name, user: user["user"] }),
    contexts: put(dst.contexts, {
      name,
      context: { cluster: name, user: name, ...(inner.namespace ? { namespace: inner.namespace } : {}) },
    }),
  };
  if (opts.setCurrent ?? true) out["current-context"] = name;
  else if (dst["current-context"]) out["current-context"] = dst["current-context"];
  return stringify(out, { lineWidth: 0 });
}

/** The kubeconfig file kubectl writes to: the first of $KUBECONFIG, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const first = (env["KUBECONFIG"] ?? "").split(delimiter).find(Boolean);
  return first ?? join(home, ".kube", "config");
}

/** Writes `text` to `file` atomically (temp file in the same folder, then rename), mode 600. */
export function writePrivate(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.kuar-${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Merges and writes; returns the file written. */
export function installContext(file: string, incoming: string, name: string): string {
  const existing = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  writePrivate(file, mergeKubeconfig(existing, incoming, name));
  return file;
}
