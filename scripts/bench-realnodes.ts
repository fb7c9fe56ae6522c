/**
 * The real-node section of `npm run bench`: time from `pulumi up` to the real Redis set Ready
 * (on real nodes, images imported, Sentinel quorum up), and Sentinel's failover time (primary pod
 * deleted -> a promoted replica answers as master). Prints why when real nodes cannot run here.
 */
import { createStack } from "../kit/e2e/harness.js";
import {
  eventually,
  failOver,
  pods,
  realNodesCannotRun,
  realNodesConfig,
  redisNames,
  SENTINEL,
  SERVER,
  testImages,
} from "../kit/e2e/realnodes.js";

const ready = (p: { status: { conditions?: { type: string; status: string }[] } }) =>
  p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

export async function benchRealNodes(): Promise<void> {
  const reason = realNodesCannotRun();
  if (reason) {
    console.log(`\nreal nodes: not measured: ${reason}`);
    return;
  }
  const images = testImages();
  const s = createStack(realNodesConfig(1, images), "bench-real");
  try {
    const t0 = Date.now();
    const up = await s.pulumiAsync(["up", "--yes", "--non-interactive", "--skip-preview"]);
    if (up.status !== 0) throw new Error(`up failed:\n${up.stdout}`);
    const upDone = (Date.now() - t0) / 1000;
    await eventually(
      "Redis and Sentinel Ready",
      () => ([...pods(s, SERVER), ...pods(s, SENTINEL)].every(ready) ? true : undefined),
      300_000,
    );
    const redisReady = (Date.now() - t0) / 1000;

    const names = redisNames(s);
    const t1 = Date.now();
    await failOver(s, names.sentinelPod, names, 120_000);
    const failover = (Date.now() - t1) / 1000;

    console.log("\n| real nodes (1 real + 1 kwok node) | s |\n| --- | ---: |");
    console.log(`| pulumi up (control plane, real node, images, bootstrap, workloads) | ${upDone.toFixed(1)} |`);
    console.log(`| up start -> real Redis set (3 servers, 3 sentinels) Ready | ${redisReady.toFixed(1)} |`);
    console.log(`| failover: primary pod deleted -> promoted replica answers as master | ${failover.toFixed(1)} |`);
  } finally {
    await s.pulumiAsync(["destroy", "--yes", "--non-interactive", "--skip-preview"]);
    s.remove();
  }
}
