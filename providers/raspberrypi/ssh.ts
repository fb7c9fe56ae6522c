/**
 * SSH to one Pi with node-ssh: the pinned host key is compared byte for byte (and only its
 * algorithm is offered), dropped connections are retried with a fresh client, every root command
 * goes through `sudo -n`, and root files are written from stdin so their content is never on a
 * command line. Each command is counted, so tests and benchmarks can prove a re-run changed nothing.
 */
import { createReadStream, existsSync } from "node:fs";
import { homedir } from "node:os";
import type { Readable } from "node:stream";
import { NodeSSH } from "node-ssh";
import { parseHostKey } from "./schema.js";
import type { SshTarget } from "./plan.js";

/** Timings; tests shorten them, real Pis need the defaults (a Pi 4 reboots in about a minute). */
export const tuning = {
  connectTimeoutMs: 10_000,
  keepaliveMs: 5_000,
  /** Attempts per connection or command after a dropped connection. */
  attempts: 4,
  retryDelayMs: 2_000,
  rebootTimeoutMs: 600_000,
  rebootPollMs: 3_000,
  readyTimeoutMs: 300_000,
  readyPollMs: 2_000,
};

export type Logger = (line: string) => void;
let logger: Logger = (line) => process.stderr.write(`${line}\n`);
/** Where per-host, per-step lines go (stderr by default). */
export function setLogger(l: Logger): void {
  logger = l;
}

/** Per host (`address:port`): connections opened, commands run (round trips), and changing ones. */
export interface Counters {
  connects: number;
  roundTrips: number;
  mutations: number;
}
export const counters = new Map<string, Counters>();
export function resetCounters(): void {
  counters.clear();
}
function count(t: SshTarget): Counters {
  const k = `${t.address}:${t.port}`;
  let c = counters.get(k);
  if (!c) counters.set(k, (c = { connects: 0, roundTrips: 0, mutations: 0 }));
  return c;
}

export class HostKeyMismatchError extends Error {}
export class UnreachableError extends Error {}

export interface RunOptions {
  /** Content for the command's stdin; a function is called again on each retry. */
  stdin?: string | (() => Readable);
  /** Changes the host (counted separately; a no-op re-run must run none). */
  mutating?: boolean;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Remote {
  private ssh: NodeSSH | undefined;
  private dropped = false;
  readonly label: string;

  constructor(
    readonly target: SshTarget,
    readonly nodeName: string,
  ) {
    this.label = `${nodeName} (${target.user}@${target.address}:${target.port})`;
  }

  log(step: string, message: string): void {
    logger(`kuar raspberrypi ${this.nodeName} ${this.target.address} ${step}: ${message}`);
  }

  /** Connects, retrying with a fresh client; a host key mismatch is never retried. */
  async connect(attempts = tuning.attempts): Promise<void> {
    let last: unknown;
    for (let i = 1; i <= attempts; i++) {
      try {
        await this.connectOnce();
        return;
      } catch (e) {
        if (e instanceof HostKeyMismatchError) throw e;
        last = e;
        if (i < attempts) {
          this.log("connect", `attempt ${i}/${attempts} failed (${message(e)}); retrying`);
          await sleep(tuning.retryDelayMs * i);
        }
      }
    }
    throw new UnreachableError(
      `${this.label} is unreachable after ${attempts} attempts: ${message(last)}. Check that the Pi is powered on and on the network, ` +
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
    let presented: Buffer | undefined;
    const ssh = new NodeSSH();
    count(t).connects++;
    try {
      await ssh.connect({
        host: t.address,
        port: t.port,
        username: t.user,
        ...this.auth(),
        readyTimeout: tuning.connectTimeoutMs,
        keepaliveInterval: tuning.keepaliveMs,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: ["ssh-ed25519"] },
        hostVerifier: (key: Buffer) => {
          presented = key;
          if (!pinned) return true;
          return key.equals(Buffer.from(pinned.base64, "base64"));
        },
      });
    } catch (e) {
      hardClose(ssh);
      if (pinned && presented && !presented.equals(Buffer.from(pinned.base64, "base64"))) {
        throw new HostKeyMismatchError(
          `${this.label} presented host key "ssh-ed25519 ${presented.toString("base64")}", but the pinned hostKey is "${t.hostKey}". ` +
            `Refusing to connect: the Pi may have been re-imaged, or something is intercepting the connection. ` +
            `If you re-imaged it, run ssh-keyscan -t ed25519 ${t.address} on a trusted network and update its hostKey in the stack config.`,
        );
      }
      throw e;
    }
    if (!pinned && presented)
      this.log(
        "connect",
        `trusting host key ssh-ed25519 ${presented.toString("base64")} (allowTofu); pin it as hostKey`,
      );
    // Without a listener, a reset (a reboot, a pulled cable) is an uncaught 'error' that ends the process.
    const conn = ssh.connection!;
    // Events of a replaced client must not mark the current one as dropped.
    const mark = () => {
      if (this.ssh === ssh) this.dropped = true;
    };
    conn.on("error", (e: Error) => {
      mark();
      this.log("connection", `dropped (${e.message})`);
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
   * Runs a command; after a dropped connection, reconnects with a fresh client and runs it again
   * (every command kuar sends is safe to repeat). A non-zero exit throws unless allowFailure.
   */
  async run(step: string, command: string, opts: RunOptions = {}): Promise<RunResult> {
    let last: unknown;
    for (let i = 1; i <= tuning.attempts; i++) {
      try {
        if (!this.ssh || this.dropped) await this.connect(1);
        const c = count(this.target);
        c.roundTrips++;
        if (opts.mutating) c.mutations++;
        const stdin = typeof opts.stdin === "function" ? opts.stdin() : opts.stdin;
        const r = await this.ssh!.execCommand(command, { ...(stdin !== undefined ? { stdin } : {}) });
        if (r.code === null && this.dropped) throw new Error("connection closed while the command ran");
        if (r.code !== 0 && /sudo: (a password is required|a terminal is required)/.test(r.stderr)) {
          throw new Error(
            `${this.label} ${step}: ${this.target.user} cannot run sudo without a password. ` +
              `Add "${this.target.user} ALL=(ALL) NOPASSWD: ALL" to /etc/sudoers.d/010_${this.target.user}-nopasswd (Raspberry Pi OS does this for its first user).`,
          );
        }
        if (r.code !== 0 && !opts.allowFailure) {
          const tail = (r.stderr || r.stdout).trim().split("\n").slice(-5).join(" | ");
          throw new CommandError(
            `${this.label} ${step}: exited with ${r.code ?? `signal ${r.signal}`}: ${tail || "(no output)"}`,
          );
        }
        return { code: r.code, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        if (e instanceof CommandError || e instanceof HostKeyMismatchError || /cannot run sudo/.test(message(e)))
          throw e;
        last = e;
        this.dropped = true;
        if (i < tuning.attempts) {
          this.log(step, `connection lost (${message(e)}); reconnecting (attempt ${i + 1}/${tuning.attempts})`);
          await sleep(tuning.retryDelayMs * i);
        }
      }
    }
    if (last instanceof UnreachableError) throw last;
    throw new UnreachableError(
      `${this.label} ${step}: the connection kept dropping (${message(last)}). Check the Pi's power supply and network; run pulumi up again to continue where it stopped.`,
    );
  }

  /** Writes a root-owned file from stdin: `sudo -n install -D -m <mode> /dev/stdin <path>`. */
  async writeRoot(step: string, path: string, mode: string, content: string | { localFile: string }): Promise<void> {
    const stdin = typeof content === "string" ? content : () => createReadStream(content.localFile);
    await this.run(step, `sudo -n install -D -m ${mode} /dev/stdin ${path}`, { stdin, mutating: true });
  }

  /** Reads /proc/sys/kernel/random/boot_id (changes on every boot). */
  async bootId(): Promise<string> {
    return (await this.run("boot-id", "cat /proc/sys/kernel/random/boot_id")).stdout.trim();
  }

  /**
   * Reboots without cutting the command short (systemd-run schedules it), then reconnects with
   * short timeouts until boot_id differs.
   */
  async reboot(why: string): Promise<void> {
    const before = await this.bootId();
    this.log("reboot", `rebooting (${why})`);
    await this.run("reboot", "sudo -n systemd-run --on-active=2 systemctl reboot", { mutating: true });
    this.close();
    const deadline = Date.now() + tuning.rebootTimeoutMs;
    while (Date.now() < deadline) {
      await sleep(tuning.rebootPollMs);
      try {
        await this.connect(1);
        const now = await this.bootId();
        if (now && now !== before) {
          this.log("reboot", "back up");
          return;
        }
        this.close();
      } catch (e) {
        if (e instanceof HostKeyMismatchError) throw e;
      }
    }
    throw new UnreachableError(
      `${this.label} did not come back within ${Math.round(tuning.rebootTimeoutMs / 1000)} s of a reboot. Check its power and SD card (a monitor shows boot errors), then run pulumi up again.`,
    );
  }

  close(): void {
    if (this.ssh) {
      hardClose(this.ssh);
      this.ssh = undefined;
    }
  }
}

class CommandError extends Error {}

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

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
