/**
 * Whether `kuar ephemeral` may tear a stack down. Only a stack that `kuar ephemeral up` created is
 * ever destroyed, removed or has its files deleted: one whose backend config carries the
 * `kuar:ephemeral` marker and expiry that `up` writes, or, before the stack exists in the backend,
 * a session record that `up` wrote. A stack file tracked by git is never touched. Pure: the facts
 * are gathered by the caller, so every rule is tested directly.
 */

/** What `kuar ephemeral up` records in `.kuar/ephemeral/<stack>.json` before the stack exists. */
export interface Session {
  stack: string;
  base: string;
  target: string;
  expiresAt: string;
  kubeconfig: string;
  /** The local control plane's name, when the base targets local (for a last-resort cleanup). */
  localCluster?: string;
}

export interface OwnershipFacts {
  /** The stack asked for. */
  name: string;
  /** The session record on disk for this name, as parsed; undefined when there is none. */
  session?: unknown;
  /** Whether the stack exists in the backend. */
  stackExists: boolean;
  /** The stack's plain config in the backend (`kuar:ephemeral` -> "true"), when it exists and could be read. */
  config?: Record<string, string>;
  /** Whether `stacks/Pulumi.<name>.yaml` is tracked by git. */
  stackFileTracked: boolean;
}

export type Ownership =
  /** Ours: tear it down (`session` is the record to use, real or rebuilt from the backend config). */
  | { owned: true; session: Session; inBackend: boolean }
  /** Nothing of that name exists and nothing recorded it: there is nothing to do, and nothing is deleted. */
  | { owned: false; absent: true; reason: string }
  /** Exists but kuar did not create it as ephemeral: refuse, touching nothing. */
  | { owned: false; absent: false; reason: string };

/** A session record exactly as `up` writes it: every field present, for this very stack. */
export function validSession(name: string, s: unknown): s is Session {
  if (s === null || typeof s !== "object") return false;
  const r = s as Record<string, unknown>;
  return (
    r["stack"] === name &&
    typeof r["base"] === "string" &&
    r["base"] !== "" &&
    typeof r["target"] === "string" &&
    typeof r["expiresAt"] === "string" &&
    !Number.isNaN(Date.parse(r["expiresAt"])) &&
    typeof r["kubeconfig"] === "string" &&
    (r["localCluster"] === undefined || typeof r["localCluster"] === "string")
  );
}

const fixHint = (name: string) =>
  `If ${name} is a stack you manage yourself, use "kuar destroy --stack ${name}" instead; kuar ephemeral only tears down stacks that "kuar ephemeral up" created.`;

/** Decides whether `kuar ephemeral down|run|reap` may tear `facts.name` down, and why not. */
export function ownership(facts: OwnershipFacts): Ownership {
  const { name } = facts;
  if (facts.stackFileTracked) {
    return {
      owned: false,
      absent: false,
      reason: `refusing to tear down ${name}: stacks/Pulumi.${name}.yaml is committed to git, and kuar ephemeral never creates a committed stack file. ${fixHint(name)}`,
    };
  }
  const session = validSession(name, facts.session) ? facts.session : undefined;
  if (facts.stackExists) {
    const cfg = facts.config;
    if (!cfg) {
      return {
        owned: false,
        absent: false,
        reason: `refusing to tear down ${name}: its config could not be read from the backend, so kuar cannot tell whether it created it. ${fixHint(name)}`,
      };
    }
    const marker = cfg["kuar:ephemeral"];
    const expiresAt = cfg["kuar:expiresAt"];
    if (marker !== "true") {
      return {
        owned: false,
        absent: false,
        reason: `refusing to tear down ${name}: the stack has ${marker === undefined ? "no kuar:ephemeral marker" : `kuar:ephemeral = ${JSON.stringify(marker)}`}, so kuar ephemeral up did not create it. ${fixHint(name)}`,
      };
    }
    if (!expiresAt || Number.isNaN(Date.parse(expiresAt))) {
      return {
        owned: false,
        absent: false,
        reason: `refusing to tear down ${name}: it is marked kuar:ephemeral but has ${expiresAt ? `an unreadable kuar:expiresAt ${JSON.stringify(expiresAt)}` : "no kuar:expiresAt"}, which kuar ephemeral up always sets. ${fixHint(name)}`,
      };
    }
    if (session && session.expiresAt !== expiresAt) {
      return {
        owned: false,
        absent: false,
        reason: `refusing to tear down ${name}: its session record (.kuar/ephemeral/${name}.json) expires ${session.expiresAt} but the stack says ${expiresAt}, so they are not the same ephemeral stack. Remove the stale record, or tear the stack down with "kuar destroy --stack ${name}".`,
      };
    }
    return {
      owned: true,
      inBackend: true,
      session: session ?? {
        stack: name,
        base: "",
        target: "",
        expiresAt,
        kubeconfig: "",
        ...localClusterOf(cfg),
      },
    };
  }
  if (session) return { owned: true, inBackend: false, session };
  return {
    owned: false,
    absent: true,
    reason: `${name}: no such stack in the backend and no session record from kuar ephemeral up; nothing to tear down (nothing was deleted).`,
  };
}

function localClusterOf(cfg: Record<string, string>): { localCluster?: string } {
  if (cfg["kuar:target"] !== "local" || !cfg["kuar:local"]) return {};
  try {
    const local = JSON.parse(cfg["kuar:local"]) as { clusterName?: unknown };
    return typeof local.clusterName === "string" ? { localCluster: local.clusterName } : {};
  } catch {
    return {};
  }
}

/**
 * Why `kuar ephemeral up --name <name>` must not use a name, or undefined when it is free: a stack
 * file or a backend stack of that name belongs to someone else, and `up` would overwrite it.
 */
export function nameTaken(name: string, facts: { stackFileExists: boolean; stackExists: boolean }): string | undefined {
  if (facts.stackFileExists)
    return `--name ${name}: stacks/Pulumi.${name}.yaml already exists, and kuar ephemeral up would overwrite it. Pick another --name, or leave it out for a generated ci-<base>-<hex> name.`;
  if (facts.stackExists)
    return `--name ${name}: a stack named ${name} already exists in the backend. Pick another --name, or leave it out for a generated ci-<base>-<hex> name.`;
  return undefined;
}
