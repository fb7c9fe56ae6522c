/**
 * Real OpenSSH "Pis" on this machine for the ssh test tier.
 *
 * Each host is Debian's own sshd, started in its own network namespace (a veth pair; addresses in
 * 10.213.0.0/16, used only inside namespaces this harness creates), its own UTS namespace (its own
 * hostname) and its own mount namespace in which the host's private directories are mounted over
 * /etc (a copy of this machine's), /usr/local, /boot (with a stock Raspberry Pi OS
 * firmware/cmdline.txt), /home and /var (an overlay), so hostname and file changes are per host.
 * The login user is a real unprivileged `pi` (present only in the hosts' /etc copies) with real
 * `sudo` and a NOPASSWD rule, as on Raspberry Pi OS; host keys (ed25519) and the client key are
 * generated per run.
 *
 * Stand-ins, because they cannot exist here: the k3s binary and its install script (supplied
 * through the air-gap bundle, kit/ssh/fixtures/k3s-bundle/), and the machine's power cycle: the
 * hosts' /usr/local/sbin/systemd-run records a reboot request, and the harness "reboots" the host
 * by killing every process in its namespaces, giving it a new boot_id and starting it again.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { isAlive } from "../../common/pid.js";

export const USER = "pi";
const UID = 4242;
export const STOCK_CMDLINE =
  "console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB\n";
export const SUBNET = "10.213.0.0/16";

/**
 * Test traffic never leaves this machine: for as long as any harness lives, the whole test subnet
 * has an `unreachable` route on the host side. The hosts' own /30 routes are more specific and
 * win while their links exist; without one, a packet for a test address is refused here instead
 * of following the default route off the machine.
 */
function guardSubnet(): void {
  sh("ip", ["-4", "route", "replace", "unreachable", SUBNET, "metric", "4242"]);
}
/** Drops the guard once no harness (of any process) has a namespace left. */
function unguardSubnet(): void {
  const others = sh("ip", ["netns", "list"], { allowFail: true })
    .split("\n")
    .some((l) => l.startsWith("kuarpi-"));
  if (!others) sh("ip", ["-4", "route", "del", "unreachable", SUBNET, "metric", "4242"], { allowFail: true });
}

/** Why this tier cannot run here, or undefined when it can. */
export function skipReason(): string | undefined {
  if (process.platform !== "linux") return "the ssh tier needs Linux (network and mount namespaces)";
  if (process.getuid?.() !== 0)
    return "the ssh tier needs root (it creates network namespaces); run it as root or in CI";
  for (const [bin, pkg] of [
    ["/usr/sbin/sshd", "openssh-server"],
    ["/usr/bin/ssh-keygen", "openssh-client"],
    ["/usr/bin/sudo", "sudo"],
    ["/usr/bin/unshare", "util-linux"],
  ] as const) {
    if (!existsSync(bin))
      return `${bin} is missing; install the Debian package ${pkg} (listed in scripts/ci-packages.txt)`;
  }
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "pipe" });
  } catch {
    return "`ip netns` does not work here (iproute2 missing or no CAP_SYS_ADMIN)";
  }
  const foreign = execFileSync("ip", ["-4", "route", "show", "root", SUBNET], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.trim() && !/ dev kp\d+n\d+a /.test(` ${l} `) && !/^unreachable 10\.213\.0\.0\/16 /.test(l));
  if (foreign.length)
    return `${SUBNET} is already routed on this machine (${foreign[0]}); the harness only uses addresses nobody else does`;
  return undefined;
}

const live = new Set<Harness>();
let seq = 0;

function sh(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    if (opts.allowFail) return "";
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")}: ${err.stderr || err.message}`, { cause: e });
  }
}

export class TestHost {
  readonly ns: string;
  readonly veth: string;
  readonly address: string;
  readonly gateway: string;
  readonly root: string;
  hostKey = "";
  reboots = 0;
  private sshd: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    dir: string,
    readonly clientPub: string,
  ) {
    const n = ++seq;
    this.ns = `kuarpi-${process.pid}-${n}`;
    this.veth = `kp${process.pid % 10_000_000}n${n}`;
    const idx = (process.pid * 37 + n) % 16384;
    const third = idx >> 6;
    const fourth = (idx & 63) * 4;
    this.gateway = `10.213.${third}.${fourth + 1}`;
    this.address = `10.213.${third}.${fourth + 2}`;
    this.root = join(dir, name);
  }

  /** Lays out the host's private directories, as a freshly flashed Raspberry Pi OS would have them. */
  prepare(): void {
    const r = this.root;
    // /etc is an overlay on this machine's: the host's changes land in <root>/etc.
    for (const d of [
      "etc/ssh",
      "etc/sudoers.d",
      "etc-work",
      "usr-local/bin",
      "usr-local/sbin",
      "usr-local/share",
      "usr-local/lib",
      "boot/firmware",
      `home/${USER}`,
      "var-upper",
      "var-work",
    ]) {
      mkdirSync(join(r, d), { recursive: true });
    }
    chmodSync(join(r, "usr-local/share"), 0o755);
    writeFileSync(join(r, "boot/firmware/cmdline.txt"), STOCK_CMDLINE);
    writeFileSync(join(r, "etc/hostname"), "raspberrypi\n");
    writeFileSync(
      join(r, "etc/hosts"),
      "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\t\traspberrypi\n",
    );
    for (const f of ["passwd", "group", "shadow"]) sh("cp", ["-p", `/etc/${f}`, join(r, "etc", f)]);
    appendFileSync(join(r, "etc/passwd"), `${USER}:x:${UID}:${UID}:,,,:/home/${USER}:/bin/bash\n`);
    appendFileSync(join(r, "etc/group"), `${USER}:x:${UID}:\n`);
    // "*": no password, yet not a locked account (sshd refuses locked ones without PAM).
    appendFileSync(join(r, "etc/shadow"), `${USER}:*:19800:0:99999:7:::\n`);
    writeFileSync(join(r, `etc/sudoers.d/010_${USER}-nopasswd`), `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    sh("chown", [`${UID}:${UID}`, join(r, `home/${USER}`)]);
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", join(r, "etc/ssh/kuar_host_ed25519_key")]);
    this.hostKey = readFileSync(join(r, "etc/ssh/kuar_host_ed25519_key.pub"), "utf8")
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(" ");
    writeFileSync(join(r, "etc/ssh/kuar_authorized_keys"), this.clientPub);
    writeFileSync(
      join(r, "etc/ssh/sshd_config"),
      [
        `ListenAddress ${this.address}:22`,
        "HostKey /etc/ssh/kuar_host_ed25519_key",
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "AuthorizedKeysFile /etc/ssh/kuar_authorized_keys",
        `AllowUsers ${USER}`,
        "MaxStartups 50",
        "LogLevel VERBOSE",
        "Subsystem sftp internal-sftp",
        "",
      ].join("\n"),
    );
    // Stand-in for the power cycle (see the file comment): records the request; the harness reboots.
    writeFileSync(
      join(r, "usr-local/sbin/systemd-run"),
      '#!/bin/sh\n# STAND-IN (ssh test tier): records a reboot request; the harness restarts this host\'s namespaces.\n# Test hook: a slow systemd-run (seconds in /etc/kuar-test/slow-systemd-run).\n[ -f /etc/kuar-test/slow-systemd-run ] && sleep "$(cat /etc/kuar-test/slow-systemd-run)"\necho "$*" > /usr/local/share/kuar-harness-reboot\n',
      { mode: 0o755 },
    );
    writeFileSync(join(r, "boot_id"), `${randomUUID()}\n`);
  }

  network(): void {
    sh("ip", ["netns", "add", this.ns]);
    sh("ip", ["link", "add", `${this.veth}a`, "type", "veth", "peer", "name", `${this.veth}b`]);
    sh("ip", ["link", "set", `${this.veth}b`, "netns", this.ns]);
    sh("ip", ["addr", "add", `${this.gateway}/30`, "dev", `${this.veth}a`]);
    sh("ip", ["link", "set", `${this.veth}a`, "up"]);
    sh("ip", ["-n", this.ns, "addr", "add", `${this.address}/30`, "dev", `${this.veth}b`]);
    sh("ip", ["-n", this.ns, "link", "set", `${this.veth}b`, "up"]);
    sh("ip", ["-n", this.ns, "link", "set", "lo", "up"]);
  }

  /** Boots the host: new mount and UTS namespaces inside its network namespace, then sshd. */
  async start(): Promise<void> {
    const r = this.root;
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const script = [
      "set -e",
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${r}/etc,workdir=${r}/etc-work /etc`,
      `mount --bind ${r}/usr-local /usr/local`,
      `mount --bind ${r}/boot /boot`,
      `mount --bind ${r}/home /home`,
      `mount -t overlay overlay -o lowerdir=/var,upperdir=${r}/var-upper,workdir=${r}/var-work /var`,
      `mount --bind ${r}/boot_id /proc/sys/kernel/random/boot_id`,
      'hostname "$(cat /etc/hostname)"',
      "exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config",
    ].join("\n");
    const child = spawn(
      "ip",
      ["netns", "exec", this.ns, "unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", script],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    child.stderr!.on("data", (d: Buffer) => {
      try {
        appendFileSync(join(r, "sshd.log"), d);
      } catch {
        // the harness directory is gone: stopped while sshd was still writing
      }
    });
    this.sshd = child;
    this.exited = new Promise((res) => child.once("exit", () => res()));
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(this.address, 22))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`sshd for ${this.name} did not start: ${readIf(join(r, "sshd.log"))}`);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** Every process in this host's network namespace. */
  pids(): number[] {
    return sh("ip", ["netns", "pids", this.ns], { allowFail: true })
      .split("\n")
      .map(Number)
      .filter((p) => p > 0);
  }

  /** Kills the SSH sessions (and what they run), leaving sshd listening: a dropped connection. */
  killSessions(): number {
    const keep = this.sshd?.pid;
    const victims = this.pids().filter((p) => p !== keep);
    for (const p of victims) tryKill(p);
    return victims.length;
  }

  async halt(): Promise<void> {
    for (const p of this.pids()) tryKill(p);
    this.sshd?.kill("SIGKILL");
    await this.exited;
    this.sshd = undefined;
  }

  /** The power cycle stand-in: everything dies, boot_id changes, the host starts again. */
  async reboot(): Promise<void> {
    await this.halt();
    writeFileSync(join(this.root, "boot_id"), `${randomUUID()}\n`);
    this.reboots++;
    await this.start();
  }

  /**
   * Cuts the host off the network, as a pulled cable would. The link goes down on the host's own
   * (namespace) side, so this machine keeps its connected route to the host and packets for it
   * stay on the veth (and die there). Should that route ever go, the harness's `unreachable`
   * route for the whole test subnet still stops them (see `guardSubnet`): never the default route.
   */
  linkDown(): void {
    sh("ip", ["-n", this.ns, "link", "set", `${this.veth}b`, "down"]);
  }
  linkUp(): void {
    sh("ip", ["-n", this.ns, "link", "set", `${this.veth}b`, "up"]);
  }

  /** Where this machine would send a packet for the host right now (`ip route get`). */
  route(): { unreachable: boolean; dev: string | undefined } {
    const out = sh("ip", ["-4", "route", "get", this.address], { allowFail: true });
    // `ip route get` fails ("Network is unreachable" / "No route to host") on an unreachable route.
    return { unreachable: out === "" || /^unreachable /m.test(out), dev: /\bdev (\S+)/.exec(out)?.[1] };
  }

  /** A file as the host sees it (`/etc/hostname`, `/var/log/...`). */
  file(path: string): string | undefined {
    const map: [string, string][] = [
      ["/usr/local/", "usr-local/"],
      ["/boot/", "boot/"],
      ["/home/", "home/"],
    ];
    for (const [prefix, dir] of map)
      if (path.startsWith(prefix)) return readIf(join(this.root, dir, path.slice(prefix.length)));
    // Overlays: the host's own version, else this machine's (files kuar touches never exist there).
    if (path.startsWith("/etc/")) return readIf(join(this.root, "etc", path.slice(5))) ?? readIf(path);
    if (path.startsWith("/var/")) return readIf(join(this.root, "var-upper", path.slice(5))) ?? readIf(path);
    throw new Error(`no mapping for ${path}`);
  }

  /** Lines the k3s and install.sh stand-ins recorded. */
  standinLog(): string[] {
    return (this.file("/var/log/k3s-standin.log") ?? "").split("\n").filter(Boolean);
  }

  /** The hostname the host's UTS namespace reports right now. */
  hostname(): string {
    const pid = this.sshd?.pid;
    return pid ? sh("nsenter", ["-t", String(pid), "-u", "hostname"]).trim() : "";
  }

  /** Runs a shell script as root inside the host's mount and UTS namespaces (what its sessions see). */
  inside(script: string): string {
    const pid = this.sshd?.pid;
    if (!pid) throw new Error(`${this.name} is not running`);
    return sh("nsenter", ["-t", String(pid), "-m", "-u", "sh", "-c", script]);
  }

  /**
   * A nearly full disk: a `kb`-sized tmpfs over `dir` in the host's mount namespace, holding a copy
   * of what was there. Gone when the host reboots or stops.
   */
  fillDisk(dir: string, kb: number): void {
    this.inside(
      `set -e; k=$(mktemp -d); cp -a ${dir}/. "$k"; mount -t tmpfs -o size=${kb}k,mode=755 kuar-full ${dir}; cp -a "$k"/. ${dir}; rm -rf "$k"`,
    );
  }

  /** Test hooks the stand-ins read from /etc/kuar-test (see fixtures/k3s-bundle/install.sh). */
  hook(name: string, value: string | undefined): void {
    const path = join(this.root, "etc/kuar-test", name);
    if (value === undefined) rmSync(path, { force: true });
    else {
      mkdirSync(join(this.root, "etc/kuar-test"), { recursive: true });
      writeFileSync(path, value);
    }
  }

  rebootRequested(): boolean {
    const marker = join(this.root, "usr-local/share/kuar-harness-reboot");
    if (!existsSync(marker)) return false;
    unlinkSync(marker);
    return true;
  }

  cleanup(): void {
    for (const p of this.pids()) tryKill(p);
    this.sshd?.kill("SIGKILL");
    sh("ip", ["link", "del", `${this.veth}a`], { allowFail: true });
    sh("ip", ["netns", "del", this.ns], { allowFail: true });
  }
}

export class Harness {
  readonly hosts: TestHost[] = [];
  readonly dir: string;
  readonly clientKey: string;
  private timer: NodeJS.Timeout | undefined;
  private rebooting = new Set<TestHost>();

  private constructor() {
    this.dir = mkdtempSync("/tmp/kuar-ssh-");
    this.clientKey = join(this.dir, "client_ed25519");
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kuar-test", "-f", this.clientKey]);
  }

  /** Starts `n` hosts (their directories, namespaces and sshd), cleaning up leftovers of dead runs first. */
  static async start(n: number): Promise<Harness> {
    reapStale();
    guardSubnet();
    const h = new Harness();
    live.add(h);
    try {
      const pub = readFileSync(`${h.clientKey}.pub`, "utf8");
      for (let i = 1; i <= n; i++) h.hosts.push(new TestHost(`h${i}`, h.dir, pub));
      for (const host of h.hosts) {
        host.prepare();
        host.network();
      }
      await Promise.all(h.hosts.map((host) => host.start()));
    } catch (e) {
      h.stop();
      throw e;
    }
    h.timer = setInterval(() => {
      for (const host of h.hosts) {
        if (!h.rebooting.has(host) && host.rebootRequested()) {
          h.rebooting.add(host);
          // systemd-run --on-active=2 lets the command return first; a short delay does the same.
          setTimeout(() => void host.reboot().finally(() => h.rebooting.delete(host)), 300);
        }
      }
    }, 100);
    return h;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const host of this.hosts) host.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
    unguardSubnet();
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function readIf(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port, timeout: 500 });
    s.once("connect", () => (s.destroy(), res(true)));
    s.once("error", () => res(false));
    s.once("timeout", () => (s.destroy(), res(false)));
  });
}

/** Namespaces and links of harness runs whose process is gone (killed before cleaning up). */
function reapStale(): void {
  for (const line of sh("ip", ["netns", "list"], { allowFail: true }).split("\n")) {
    const m = /^kuarpi-(\d+)-\d+/.exec(line);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
      const ns = line.split(" ")[0]!;
      for (const p of sh("ip", ["netns", "pids", ns], { allowFail: true })
        .split("\n")
        .map(Number)
        .filter((x) => x > 0))
        tryKill(p);
      sh("ip", ["netns", "del", ns], { allowFail: true });
    }
  }
  for (const line of sh("ip", ["-o", "link", "show"], { allowFail: true }).split("\n")) {
    const m = /^\d+: (kp(\d+)n\d+a)@/.exec(line);
    if (m && !isAlive(Number(m[2])) && Number(m[2]) !== process.pid % 10_000_000)
      sh("ip", ["link", "del", m[1]!], { allowFail: true });
  }
}

function cleanupAll(): void {
  for (const h of [...live]) h.stop();
}
process.on("exit", cleanupAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    cleanupAll();
    process.exit(130);
  });
}
