/**
 * The Pi flow's cost against real sshd hosts on this machine (kit/ssh/harness.ts; root needed):
 * remote commands and network round trips per host on a fresh install, a converged re-apply and a
 * no-op `up`; fresh-install wall time for 1 host against 3 (1 server + 2 agents); and a fresh
 * install of 1 host at 0 and 200 ms round-trip time. Every connection goes through a delaying TCP
 * proxy on 127.0.0.1 (kit/ssh/delay-proxy.ts; tc netem is not available in this kernel), which
 * also counts round trips. Reboots are the harness's stand-in (a namespace restart, under a
 * second), so real Pis add their boot time.
 *   node --import tsx scripts/pi-bench.ts
 */
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyHost } from "../providers/raspberrypi/host.provider.js";
import { hostSpecOf, nodeSpecs } from "../providers/raspberrypi/inventory.js";
import { applyNode } from "../providers/raspberrypi/node.provider.js";
import { settings } from "../providers/raspberrypi/schema.js";
import { SessionPool } from "../providers/raspberrypi/pool.js";
import { defaultTuning, Session, type CounterSet, type SessionOptions } from "../providers/raspberrypi/ssh.js";
import { DelayProxy } from "../kit/ssh/delay-proxy.js";
import { Engine } from "../kit/ssh/engine.js";
import { Harness, skipReason, USER } from "../kit/ssh/harness.js";

const reason = skipReason();
if (reason) {
  console.log(`pi-bench skipped: ${reason}`);
  process.exit(0);
}
const BUNDLE = fileURLToPath(new URL("../kit/ssh/fixtures/k3s-bundle", import.meta.url));
const TOKEN = "bench-token-0123456789abcdef0123456789abcdef";

/** `pooled`: a host's steps share one session and one probe (this code); false: every step connects and probes (before). */
async function run(n: number, oneWayMs: number, pooled: boolean) {
  const counters: CounterSet = new Map();
  const pool = pooled ? new SessionPool() : undefined;
  const opts: SessionOptions = {
    tuning: { ...defaultTuning, rebootDelayMs: 1_000, rebootPollMs: 250, readyPollMs: 200, retryDelayMs: 200 },
    logger: () => {},
    progress: () => {},
    counters,
    ...(pool ? { pool } : {}),
  };
  const h = await Harness.start(n);
  const proxies = h.hosts.map((x) => new DelayProxy({ address: x.address, port: 22 }, oneWayMs));
  try {
    for (const p of proxies) await p.start();
    const s = settings.parse({
      airgapBundleDir: BUNDLE,
      hosts: h.hosts.map((x, i) => ({
        address: "127.0.0.1",
        port: proxies[i]!.port,
        privateKeyPath: h.clientKey,
        hostKey: x.hostKey,
        role: i === 0 ? "server" : "agent",
        arch: "amd64",
        nodeName: `pi-${i + 1}`,
      })),
    });
    const specs = nodeSpecs(s, s.airgapBundleDir);
    const engine = new Engine(opts);
    const state = new Map();
    const sample = () => {
      const r = proxies.map((p, i) => ({
        commands: counters.get(`127.0.0.1:${p.port}`)?.commands ?? 0,
        roundTrips: p.roundTrips,
        host: i,
      }));
      counters.clear();
      for (const p of proxies) p.roundTrips = 0;
      return r;
    };
    let t = performance.now();
    await engine.up(state, specs, TOKEN);
    const fresh = { ms: performance.now() - t, per: sample() };
    t = performance.now();
    await engine.up(state, specs, TOKEN);
    const noop = { ms: performance.now() - t, per: sample() };
    t = performance.now();
    await Promise.all(
      specs.map(async (x) => {
        await applyHost(hostSpecOf(x), opts);
        await applyNode({ ...x, token: TOKEN }, opts);
      }),
    );
    const reapply = { ms: performance.now() - t, per: sample() };
    return { fresh, noop, reapply };
  } finally {
    pool?.closeAll();
    for (const p of proxies) p.stop();
    h.stop();
  }
}

/**
 * The k3sup pattern on one fresh host, for comparison: one connection, the install script as one
 * command, then `cat` of the kubeconfig (k3sup install). k3sup prepares nothing (no hostname, no
 * cgroup flags, no reboot) and the Pi downloads k3s itself, so the binary is put in place first,
 * outside the timing.
 */
async function k3sup(oneWayMs: number) {
  const h = await Harness.start(1);
  const x = h.hosts[0]!;
  const proxy = new DelayProxy({ address: x.address, port: 22 }, oneWayMs);
  const counters: CounterSet = new Map();
  try {
    await proxy.start();
    copyFileSync(join(BUNDLE, "k3s"), join(x.root, "usr-local/bin/k3s"));
    const target = {
      address: "127.0.0.1",
      port: proxy.port,
      user: USER,
      privateKeyPath: h.clientKey,
      hostKey: x.hostKey,
      agent: false,
      allowTofu: false,
    };
    const s = new Session(target, "pi-1", { tuning: { ...defaultTuning }, logger: () => {}, counters });
    const t = performance.now();
    await s.connect();
    const install = readFileSync(join(BUNDLE, "install.sh"), "utf8");
    await s.run("install", "sudo -n env INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC=server sh -s -", {
      stdin: install,
    });
    await s.run("kubeconfig", "sudo -n cat /etc/rancher/k3s/k3s.yaml");
    const ms = performance.now() - t;
    s.close();
    return { ms, commands: counters.get(`127.0.0.1:${proxy.port}`)!.commands, roundTrips: proxy.roundTrips };
  } finally {
    proxy.stop();
    h.stop();
  }
}

const ms = (x: number) => `${(x / 1000).toFixed(1)} s`;
const per = (xs: { commands: number; roundTrips: number }[]) =>
  xs.map((x) => `${x.commands} cmd/${x.roundTrips} rt`).join(", ");
console.log("Pi flow against real sshd hosts (k3s and reboots are stand-ins); before = every step connects and probes");
for (const pooled of [false, true]) {
  const one = await run(1, 0, pooled);
  const three = await run(3, 0, pooled);
  const slow = await run(1, 100, pooled);
  console.log(pooled ? "after (one session and one probe per host):" : "before (a session and a probe per step):");
  console.log(`  fresh host:         ${per(three.fresh.per)} (per host, 3 hosts); 1 host: ${per(one.fresh.per)}`);
  console.log(`  converged re-apply: ${per(three.reapply.per)} (host step + node step)`);
  console.log(`  no-op up:           ${per(three.noop.per)}`);
  console.log(
    `  fresh install wall: 1 host ${ms(one.fresh.ms)}, 3 hosts ${ms(three.fresh.ms)}, ratio 3/1 ${(three.fresh.ms / one.fresh.ms).toFixed(2)}`,
  );
  console.log(`  fresh install of 1 host: ${ms(one.fresh.ms)} at 0 ms RTT, ${ms(slow.fresh.ms)} at 200 ms RTT`);
}
const k0 = await k3sup(0);
const k200 = await k3sup(100);
console.log(
  `k3sup pattern (install + cat kubeconfig, no host prep, no reboot): ${k0.commands} cmd/${k0.roundTrips} rt; ${ms(k0.ms)} at 0 ms RTT, ${ms(k200.ms)} at 200 ms RTT`,
);
