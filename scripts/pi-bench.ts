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
import { fileURLToPath } from "node:url";
import { applyHost } from "../providers/raspberrypi/host.provider.js";
import { hostSpecOf, nodeSpecs } from "../providers/raspberrypi/inventory.js";
import { applyNode } from "../providers/raspberrypi/node.provider.js";
import { settings } from "../providers/raspberrypi/schema.js";
import { defaultTuning, type CounterSet, type SessionOptions } from "../providers/raspberrypi/ssh.js";
import { DelayProxy } from "../kit/ssh/delay-proxy.js";
import { Engine } from "../kit/ssh/engine.js";
import { Harness, skipReason } from "../kit/ssh/harness.js";

const reason = skipReason();
if (reason) {
  console.log(`pi-bench skipped: ${reason}`);
  process.exit(0);
}
const BUNDLE = fileURLToPath(new URL("../kit/ssh/fixtures/k3s-bundle", import.meta.url));
const TOKEN = "bench-token-0123456789abcdef0123456789abcdef";

async function run(n: number, oneWayMs: number) {
  const counters: CounterSet = new Map();
  const opts: SessionOptions = {
    tuning: { ...defaultTuning, rebootDelayMs: 1_000, rebootPollMs: 250, readyPollMs: 200, retryDelayMs: 200 },
    logger: () => {},
    counters,
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
    for (const p of proxies) p.stop();
    h.stop();
  }
}

const one = await run(1, 0);
const three = await run(3, 0);
const slow = await run(1, 100);
const ms = (x: number) => `${(x / 1000).toFixed(1)} s`;
const per = (xs: { commands: number; roundTrips: number }[]) =>
  xs.map((x) => `${x.commands} cmd/${x.roundTrips} rt`).join(", ");
console.log("Pi flow against real sshd hosts (k3s and reboots are stand-ins)");
console.log(`fresh host:        ${per(three.fresh.per)} (per host, 3 hosts); 1 host: ${per(one.fresh.per)}`);
console.log(`converged re-apply: ${per(three.reapply.per)} (host step + node step)`);
console.log(`no-op up:          ${per(three.noop.per)}`);
console.log(
  `fresh install wall: 1 host ${ms(one.fresh.ms)}, 3 hosts ${ms(three.fresh.ms)}, ratio 3/1 ${(three.fresh.ms / one.fresh.ms).toFixed(2)}`,
);
console.log(`fresh install of 1 host: ${ms(one.fresh.ms)} at 0 ms RTT, ${ms(slow.fresh.ms)} at 200 ms RTT`);
console.log(
  "before (commit 50beb6b, same machine and harness): fresh host 16-17 cmd/77 rt; 1 host 5.4 s, 3 hosts 8.1 s, ratio 1.49; 1 host at 200 ms RTT 14.0 s",
);
