/**
 * One SSH session to one Pi, with node-ssh: the pinned host key is compared byte for byte (and only
 * its algorithm is offered), every root command goes through `sudo -n`, and content travels on
 * stdin, never on a command line. Timings, the logger and the counters are passed in, so callers
 * (the providers, the wizard's preflight, tests) never share module state.
 *
 * Retries: connecting and read-only commands are retried on a fresh client. A changing command
 * whose connection drops is never sent again: its outcome is unknown, so the session throws
 * OutcomeUnknownError and the caller re-probes the host and re-plans.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import type { Readable } from "node:stream";
import { NodeSSH } from "node-ssh";
import { fingerprint } from "./hostkey.js";
import { parseHostKey } from "./schema.js";
import type { SshTarget } from "./inventory.js";
import { processPool, type SessionPool, type Step, type Taken } from "./pool.js";
import type { HostFacts } from "./probe.js";
import { processProgress, stepLine, type Phase, type Progress } from "./progress.js";

/** Timings; tests shorten them, real Pis need the defaults (a Pi 4 reboots in about a minute). */
export interface Tuning {
  connectTimeoutMs: number;
  keepaliveMs: number;
  /** Attempts to connect, or to run a read-only command, before giving up. */
  attempts: number;
  /** Wait before attempt n+1 is n times this. */
  retryDelayMs: number;
  /** Wait after scheduling a reboot before the first reconnect (systemd-run waits 2 s). */
  rebootDelayMs: number;
  rebootTimeoutMs: number;
  rebootPollMs: number;
  /** How long the install script waits for a server's node to be Ready. */
  readyTimeoutMs: number;
  readyPollMs: number;
}

export const defaultTuning: Readonly<Tuning> = Object.freeze({
  connectTimeoutMs: 10_000,
  keepaliveMs: 5_000,
  attempts: 4,
  retryDelayMs: 2_000,
  rebootDelayMs: 5_000,
  rebootTimeoutMs: 600_000,
  rebootPollMs: 3_000,
  readyTimeoutMs: 300_000,
  readyPollMs: 2_000,
});

export type Logger = (line: string) => void;

/** Per host (`address:port`): connections opened, commands sent, and changes the host reported. */
export interface Counters {
  connects: number;
  commands: number;
  mutations: number;
}
export type CounterSet = Map<string, Counters>;

/** What a session needs from its caller. */
export interface SessionOptions {
  tuning: Tuning;
  logger: Logger;
  counters?: CounterSet;
  /** Hands a host's open session (and its last probe) from one step to the next. @default none: every step connects */
  pool?: SessionPool;
  /** Where per-host step lines go. @default the logger */
  progress?: Progress;
}

export function defaultSessionOptions(): SessionOptions {
  const logger: Logger = (line) => process.stderr.write(`${line}\n`);
  return { tuning: { ...defaultTuning }, logger, pool: processPool(), progress: processProgress(logger) };
}

export class HostKeyMismatchError extends Error {}
export class UnreachableError extends Error {}
/** The login user cannot run `sudo -n` (a password is required, or sudoers has requiretty). */
export class SudoError extends Error {}
/** A changing command lost its connection: it may or may not have run. Re-probe, then re-plan. */
export class OutcomeUnknownError extends Error {}
/** A command ran and exited non-zero. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /** Content for the command's stdin; a function is called again for a retried read-only command. */
  stdin?: string | (() => Readable);
  /** Changes the host: never re-sent after a dropped connection. */
  changing?: boolean;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  /** Called with each `kuar-step <phase>` line the command prints, as it prints it. */
  onStep?: (phase: string) => void;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The first line of an error, at most 120 characters: enough for a retry line. */
export function brief(e: unknown): string {
  const line = message(e).split("\n")[0]!.trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

export class Session {
  private ssh: NodeSSH | undefined;
  private dropped = false;
  private opStart = Date.now();
  private urn: string | undefined;
  readonly label: string;
  private own: Counters = { connects: 0, commands: 0, mutations: 0 };

  constructor(
    readonly target: SshTarget,
    readonly nodeName: string,
    private options: SessionOptions = defaultSessionOptions(),
  ) {
    this.label = `${nodeName} (${target.user}@${target.address}:${target.port})`;
  }

  get opts(): SessionOptions {
    return this.options;
  }

  /** A session handed to another operation serves it with that operation's options. */
  use(opts: SessionOptions): void {
    this.options = opts;
  }

  /** This host's entry in the caller's counter set (looked up each time: callers clear the set). */
  get counters(): Counters {
    const set = this.options.counters;
    if (!set) return this.own;
    const key = `${this.target.address}:${this.target.port}`;
    let c = set.get(key);
    if (!c) {
      c = { connects: 0, commands: 0, mutations: 0 };
      set.set(key, c);
    }
    return c;
  }

  get tuning(): Tuning {
    return this.opts.tuning;
  }

  /** Connected, and the connection has not dropped. */
  get alive(): boolean {
    return !!this.ssh && !this.dropped;
  }

  log(step: string, text: string): void {
    this.opts.logger(`kuar raspberrypi ${this.nodeName} ${this.target.address} ${step}: ${text}`);
  }

  /** Starts one resource operation on this session: step lines count from here and name `urn`. */
  begin(urn?: string): void {
    this.opStart = Date.now();
    this.urn = urn;
  }

  /** A step line: which step the host is in, with the operation's elapsed time. */
  step(phase: Phase, detail = ""): void {
    const line = stepLine(
      `kuar raspberrypi ${this.nodeName} ${this.target.address}`,
      phase,
      Date.now() - this.opStart,
      detail,
    );
    if (this.opts.progress) this.opts.progress(line, this.urn);
    else this.opts.logger(line);
  }

  /** Connects, retrying with a fresh client; a host key mismatch is never retried. */
  async connect(attempts = this.tuning.attempts): Promise<void> {
    let last: unknown;
    for (let i = 1; i <= attempts; i++) {
      try {
        await this.connectOnce();
        return;
      } catch (e) {
        if (e instanceof HostKeyMismatchError || e instanceof UnreachableError) throw e;
        last = e;
        if (i < attempts) {
          const wait = this.tuning.retryDelayMs * i;
          this.log("connect", `attempt ${i}/${attempts} failed (${brief(e)}); retrying in ${seconds(wait)}`);
          await sleep(wait);
        }
      }
    }
    throw new UnreachableError(
      `${this.label} is unreachable after ${attempts} ${attempts === 1 ? "attempt" : "attempts"}: ${message(last)}. Check that the Pi is powered on and on the network, ` +
        `that ${this.target.address} is its address (a DHCP reservation keeps it stable), and that ` +
        `ssh -p ${this.target.port} ${this.target.user}@${this.target.address} works from this machine. Hosts already done are left as they are; run pulumi up again once it is back.`,
    );
  }

  private async connectOnce(): Promise<void> {
    this.close();
    const t = this.target;
    const pinned = t.hostKey ? parseHostKey(t.hostKey) : undefined;
    if (!pinned && !t.allowTofu)
      throw new HostKeyMismatchError(`${this.label}: no pinned host key and allowTofu is false`);
    const pinnedBlob = pinned ? Buffer.from(pinned.base64, "base64") : undefined;
    let presented: Buffer | undefined;
    const ssh = new NodeSSH();
    this.counters.connects++;
    try {
      await ssh.connect({
        host: t.address,
        port: t.port,
        username: t.user,
        ...this.auth(),
        readyTimeout: this.tuning.connectTimeoutMs,
        keepaliveInterval: this.tuning.keepaliveMs,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: ["ssh-ed25519"] },
        hostVerifier: (key: Buffer) => {
          presented = key;
          return !pinnedBlob || key.equals(pinnedBlob);
        },
      });
    } catch (e) {
      hardClose(ssh);
      if (pinnedBlob && presented && !presented.equals(pinnedBlob)) {
        throw new HostKeyMismatchError(
          `${this.label} presented host key ${fingerprint(presented)} ("ssh-ed25519 ${presented.toString("base64")}"), but the pinned hostKey is ${fingerprint(pinnedBlob)} ("${t.hostKey}"). ` +
            `Refusing to connect: the Pi may have been re-imaged, or something is intercepting the connection. ` +
            `If you re-imaged it, run ssh-keyscan -t ed25519 ${t.address} on a trusted network (compare its fingerprint with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the Pi's console) and update its hostKey in the stack config.`,
        );
      }
      throw e;
    }
    if (!pinned && presented)
      this.log(
        "connect",
        `trusting host key ${fingerprint(presented)} (ssh-ed25519 ${presented.toString("base64")}) (allowTofu); pin it as hostKey`,
      );
    // Without a listener, a reset (a reboot, a pulled cable) is an uncaught 'error' that ends the process.
    const conn = ssh.connection!;
    // Events of a replaced client must not mark the current one as dropped.
    const mark = () => {
      if (this.ssh === ssh) this.dropped = true;
    };
    conn.on("error", (e: Error) => {
      mark();
      this.log("connection", `dropped (${brief(e)})`);
    });
    conn.on("close", mark);
    conn.on("end", mark);
    this.dropped = false;
    this.ssh = ssh;
  }

  private auth(): Record<string, string> {
    const t = this.target;
    if (t.agent) {
      const sock = process.env["SSH_AUTH_SOCK"];
      if (!sock)
        throw new UnreachableError(
          `${this.label}: agent is true but SSH_AUTH_SOCK is not set. Start ssh-agent and ssh-add your key.`,
        );
      return { agent: sock };
    }
    const path = (t.privateKeyPath ?? "").replace(/^~(?=\/|$)/, homedir());
    if (!existsSync(path)) {
      throw new UnreachableError(
        `${this.label}: privateKeyPath ${t.privateKeyPath} does not exist on this machine. Point it at your private key file.`,
      );
    }
    return { privateKeyPath: path };
  }

  /**
   * Runs a command. A read-only one is retried on a fresh connection after a drop; a changing one
   * throws OutcomeUnknownError instead (it may have run). A non-zero exit throws unless allowFailure.
   */
  async run(step: string, command: string, opts: RunOptions = {}): Promise<RunResult> {
    const attempts = opts.changing ? 1 : this.tuning.attempts;
    let last: unknown;
    for (let i = 1; i <= attempts; i++) {
      // Not yet sent: connecting is always safe to retry.
      if (!this.ssh || this.dropped) await this.connect();
      try {
        this.counters.commands++;
        const stdin = typeof opts.stdin === "function" ? opts.stdin() : opts.stdin;
        const r = await this.ssh!.execCommand(command, {
          ...(stdin !== undefined ? { stdin } : {}),
          ...(opts.onStep ? { onStdout: stepReader(opts.onStep) } : {}),
        });
        if (r.code === null && this.dropped) throw new Error("the connection closed while the command ran");
        if (r.code !== 0) this.sudoProblem(step, r.stderr);
        if (r.code !== 0 && !opts.allowFailure) {
          const tail = (r.stderr || r.stdout).trim().split("\n").slice(-5).join(" | ");
          throw new CommandError(
            `${this.label} ${step}: exited with ${r.code ?? `signal ${r.signal}`}: ${tail || "(no output)"}`,
            r.code,
            r.stdout,
            r.stderr,
          );
        }
        return { code: r.code, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        if (e instanceof CommandError || e instanceof HostKeyMismatchError || e instanceof SudoError) throw e;
        last = e;
        this.dropped = true;
        if (opts.changing) {
          throw new OutcomeUnknownError(
            `${this.label} ${step}: the connection dropped while the command ran (${brief(e)}); whether it finished is unknown`,
          );
        }
        if (i < attempts) {
          const wait = this.tuning.retryDelayMs * i;
          this.log(
            step,
            `connection lost (${brief(e)}); reconnecting in ${seconds(wait)} (attempt ${i + 1}/${attempts})`,
          );
          await sleep(wait);
        }
      }
    }
    throw new UnreachableError(
      `${this.label} ${step}: the connection dropped ${attempts} times (${message(last)}). Check the Pi's power supply and network; run pulumi up again to continue where it stopped.`,
    );
  }

  private sudoProblem(step: string, stderr: string): void {
    const user = this.target.user;
    if (/sudo: (a password is required|a terminal is required)/.test(stderr)) {
      throw new SudoError(
        `${this.label} ${step}: ${user} cannot run sudo without a password. ` +
          `Add "${user} ALL=(ALL) NOPASSWD: ALL" to /etc/sudoers.d/010_${user}-nopasswd with sudo visudo -f /etc/sudoers.d/010_${user}-nopasswd (Raspberry Pi OS does this for its first user).`,
      );
    }
    if (/sudo: sorry, you must have a tty to run sudo/.test(stderr)) {
      throw new SudoError(
        `${this.label} ${step}: sudo on this host requires a terminal (requiretty in sudoers), and kuar runs commands without one. ` +
          `Allow ${user} without a terminal: add the line "Defaults:${user} !requiretty" with sudo visudo -f /etc/sudoers.d/011_${user}-notty, then run pulumi up again.`,
      );
    }
  }

  close(): void {
    if (this.ssh) {
      hardClose(this.ssh);
      this.ssh = undefined;
    }
  }
}

/**
 * A session for one resource operation on a host: the one the previous step of the same host left
 * open (with its last probe, while fresh), or a new connection. Pass it back with `release`.
 */
export async function openSession(
  by: Step,
  target: SshTarget,
  nodeName: string,
  opts: SessionOptions,
  urn?: string,
): Promise<Taken> {
  const taken = opts.pool?.take(target, nodeName, by);
  if (taken) {
    taken.session.use(opts);
    taken.session.begin(urn);
    return taken;
  }
  const s = new Session(target, nodeName, opts);
  s.begin(urn);
  await s.connect();
  return { session: s };
}

/**
 * Ends an operation's use of a session: kept open for the host's next step when there is a pool,
 * with `facts` only when they still describe the host (nothing was sent after the probe).
 */
export function release(s: Session, by: Step, facts?: HostFacts): void {
  if (s.opts.pool) s.opts.pool.give(s, by, facts);
  else s.close();
}

/**
 * dispose() only half-closes; over a dead link the socket would wait for a FIN that never comes
 * and keep the process alive. Nothing is in flight when we close, so destroy the socket.
 */
function hardClose(ssh: NodeSSH): void {
  // ssh2's destroy() skips a socket that end() (dispose, a keepalive timeout) already made
  // unwritable, so the socket itself is destroyed.
  (ssh.connection as unknown as { _sock?: { destroy(): void } } | null)?._sock?.destroy();
  ssh.dispose();
}

/** Calls `onStep` for every complete `kuar-step <phase>` line of a stream. */
function stepReader(onStep: (phase: string) => void): (chunk: Buffer) => void {
  let rest = "";
  return (chunk) => {
    const lines = (rest + chunk.toString("utf8")).split("\n");
    rest = lines.pop()!;
    for (const l of lines) {
      const m = /^kuar-step (\S[^\n]*)$/.exec(l.trim());
      if (m) onStep(m[1]!);
    }
  };
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
