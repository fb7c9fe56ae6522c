/**
 * The Pi flow's cost against real sshd hosts on this machine (test/ssh/harness.ts; root needed):
 * wall time of a fresh install for 1 host against 3 hosts (1 server + 2 agents), and SSH round
 * trips per host on a fresh run, a no-op `up` (diff only) and a no-op re-apply (probe only).
 * Reboots are the harness's stand-in (a namespace restart, ~0.5 s), so real Pis add their boot time.
 *   node --import tsx scripts/pi-bench.ts
 */
import { fileURLToPath } from "node:url";
import { nodeSpecs } from "../providers/raspberrypi/plan.js";
import { applyNode } from "../providers/raspberrypi/provider.js";
import { settings } from "../providers/raspberrypi/schema.js";
import { counters, resetCounters, setLogger, tuning } from "../providers/raspberrypi/ssh.js";
import { up } from "../test/ssh/engine.js";
import { Harness, skipReason } from "../test/ssh/harness.js";

const reason = skipReason();
if (reason) {
  console.log(`pi-bench skipped: ${reason}`);
  process.exit(0);
}
Object.assign(tuning, { rebootPollMs: 250, readyPollMs: 200, retryDelayMs: 200 });
setLogger(() => {});
const BUNDLE = fileURLToPath(new URL("../test/ssh/fixtures/k3s-bundle", import.meta.url));
const TOKEN = "bench-token-0123456789abcdef0123456789abcdef";

async function run(n: number) {
  const h = await Harness.start(n);
  try {
    const s = settings.parse({
      airgapBundleDir: BUNDLE,
      hosts: h.hosts.map((x, i) => ({
        address: x.address,
        privateKeyPath: h.clientKey,
        hostKey: x.hostKey,
        role: i === 0 ? "server" : "agent",
        arch: "amd64",
        nodeName: `pi-${i + 1}`,
      })),
    });
    const specs = nodeSpecs(s, s.airgapBundleDir);
    const state = new Map();
    const per = () => h.hosts.map((x) => counters.get(`${x.address}:22`)?.roundTrips ?? 0);
    resetCounters();
    let t = performance.now();
    await up(state, specs, TOKEN);
    const fresh = performance.now() - t;
    const freshTrips = per();
    resetCounters();
    t = performance.now();
    await up(state, specs, TOKEN);
    const noop = performance.now() - t;
    const noopTrips = per();
    resetCounters();
    t = performance.now();
    await Promise.all(specs.map((x) => applyNode({ ...x, token: TOKEN })));
    const reapply = performance.now() - t;
    return { fresh, freshTrips, noop, noopTrips, reapply, reapplyTrips: per() };
  } finally {
    h.stop();
  }
}

const one = await run(1);
const three = await run(3);
const ms = (x: number) => `${Math.round(x)} ms`;
console.log("Pi flow against real sshd hosts (k3s and reboots are stand-ins)");
console.log(
  `fresh install   1 host: ${ms(one.fresh)}   3 hosts: ${ms(three.fresh)}   ratio 3/1: ${(three.fresh / one.fresh).toFixed(2)}`,
);
console.log(
  `round trips per host, fresh:            1 host ${one.freshTrips.join(",")}   3 hosts ${three.freshTrips.join(",")}`,
);
console.log(`no-op up (diff only):  ${ms(three.noop)}, round trips per host ${three.noopTrips.join(",")}`);
console.log(
  `no-op re-apply (probe): 1 host ${ms(one.reapply)}, 3 hosts ${ms(three.reapply)}, round trips per host ${three.reapplyTrips.join(",")}`,
);
