/**
 * Open sessions handed from one step of a host to the next inside one provider process, so a host
 * costs one SSH handshake per `up` instead of one per step, and the node step can decide from the
 * host step's last probe instead of sending its own (a converged host then costs one command).
 *
 * Both dynamic providers run in the one `pulumi-nodejs` provider process, so they share the
 * process pool (`processPool`); tests pass their own. A session is handed over only while its
 * connection is alive (a reboot or a drop ends it), and its facts only while they are younger than
 * `factsMaxAgeMs` and nothing has been sent since they were read. An idle session closes after
 * `idleMs` (ssh2's keepalive timer keeps a process alive until then; tests call `closeAll`).
 */
import type { HostFacts } from "./probe.js";
import type { SshTarget } from "./inventory.js";
import type { Session } from "./ssh.js";

/** Which provider's operation gives or takes a session. */
export type Step = "host" | "node";

interface Entry {
  session: Session;
  by: Step;
  facts?: HostFacts;
  factsAt: number;
  timer: NodeJS.Timeout;
}

export interface PoolOptions {
  /** How long an unused session stays open. @default 30000 */
  idleMs?: number;
  /** How old handed-over facts may be to stand in for a probe. @default 60000 */
  factsMaxAgeMs?: number;
}

/** A session and, when still fresh, what the host reported on it last. */
export interface Taken {
  session: Session;
  facts?: HostFacts;
}

export class SessionPool {
  private readonly idle = new Map<string, Entry>();
  readonly idleMs: number;
  readonly factsMaxAgeMs: number;

  constructor(o: PoolOptions = {}) {
    this.idleMs = o.idleMs ?? 30_000;
    this.factsMaxAgeMs = o.factsMaxAgeMs ?? 60_000;
  }

  /**
   * The open session for this host and node name, if one is idle and alive; with the facts the
   * other step left (one step's probe stands in for the other's, never for its own: a step that
   * runs again, such as a second refresh, looks at the host again).
   */
  take(target: SshTarget, nodeName: string, by: Step): Taken | undefined {
    const k = key(target, nodeName);
    const e = this.idle.get(k);
    if (!e) return undefined;
    this.idle.delete(k);
    clearTimeout(e.timer);
    if (!e.session.alive) {
      e.session.close();
      return undefined;
    }
    const fresh = e.facts && e.by !== by && Date.now() - e.factsAt <= this.factsMaxAgeMs;
    return { session: e.session, ...(fresh ? { facts: e.facts } : {}) };
  }

  /**
   * Keeps a session for the next step; `facts` only when they describe the host as it is now
   * (read by the last command sent). A dead session is closed instead.
   */
  give(session: Session, by: Step, facts?: HostFacts): void {
    if (!session.alive) {
      session.close();
      return;
    }
    const k = key(session.target, session.nodeName);
    const old = this.idle.get(k);
    if (old && old.session !== session) old.session.close();
    if (old) clearTimeout(old.timer);
    const timer = setTimeout(() => this.drop(k), this.idleMs);
    timer.unref();
    this.idle.set(k, { session, by, ...(facts ? { facts } : {}), factsAt: Date.now(), timer });
  }

  private drop(k: string): void {
    const e = this.idle.get(k);
    if (!e) return;
    this.idle.delete(k);
    clearTimeout(e.timer);
    e.session.close();
  }

  /** Closes every idle session. */
  closeAll(): void {
    for (const k of [...this.idle.keys()]) this.drop(k);
  }

  get size(): number {
    return this.idle.size;
  }
}

/** Same host, same login, same pinned key, same node: nothing else may reuse a connection. */
function key(t: SshTarget, nodeName: string): string {
  return JSON.stringify([t.address, t.port, t.user, t.hostKey ?? "", t.privateKeyPath ?? "", t.agent, nodeName]);
}

let shared: SessionPool | undefined;
/** The pool both providers of this process share. */
export function processPool(): SessionPool {
  shared ??= new SessionPool();
  return shared;
}
