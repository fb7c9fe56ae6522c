/**
 * The real-node section of `npm run bench` (or alone: `npx tsx scripts/bench-realnodes.ts`): time
 * from `pulumi up` to the real Redis set Ready (on real nodes, images imported, Sentinel quorum
 * up), and Sentinel's failover time (primary pod deleted -> a promoted replica answers as master),
 * repeated KUAR_BENCH_FAILOVERS times (default 3) on the same set, printed as median and range.
 * Prints why when real nodes cannot run here. Every wait is bounded.
 */
import { pathToFileURL } from "node:url";
import { createStack } from "../kit/e2e/harness.js";
import {
  DESTROY_MINUTES,
  eventually,
  failOver,
  pods,
  pulumiBounded,
  realNodesCannotRun,
  realNodesConfig,
  redisCli,
  redisNames,
  sentinelPrimary,
  SENTINEL,
  SERVER,
  testImages,
  UP_MINUTES,
} from "../kit/e2e/realnodes.js";

const ready = (p: { status: { conditions?: { type: string; status: string }[] } }) =>
  p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchRealNodes(): Promise<void> {
  const reason = realNodesCannotRun();
  if (reason) {
    console.log(`\nreal nodes: not measured: ${reason}`);
    return;
  }
  const failovers = Number(process.env["KUAR_BENCH_FAILOVERS"] ?? 3);
  const images = testImages();
  const s = createStack(realNodesConfig(1, images), "bench-real");
  try {
    const t0 = Date.now();
    const up = await pulumiBounded(s, ["up", "--yes", "--non-interactive", "--skip-preview"], UP_MINUTES);
    if (up.status !== 0) throw new Error(`up failed:\n${up.stdout}`);
    const upDone = (Date.now() - t0) / 1000;
    await eventually(
      "Redis and Sentinel Ready",
      () => ([...pods(s, SERVER), ...pods(s, SENTINEL)].every(ready) ? true : undefined),
      300_000,
    );
    const redisReady = (Date.now() - t0) / 1000;

    const names = redisNames(s);
    const times: number[] = [];
    for (let i = 0; i < failovers; i++) {
      const oldPod = sentinelPrimary(s, names.sentinelPod, names.sentinelService, names.masterName).split(".")[0]!;
      const t1 = Date.now();
      await failOver(s, names.sentinelPod, names, 120_000);
      times.push((Date.now() - t1) / 1000);
      // The next round starts from a whole set: the deleted pod back and replicating.
      await eventually(
        `${oldPod} to rejoin as a replica`,
        () =>
          pods(s, SERVER).find((p) => p.metadata.name === oldPod && ready(p)) &&
          redisCli(s, oldPod, ["role"]).startsWith("slave")
            ? true
            : undefined,
        180_000,
      );
    }
    const f = (x: number) => x.toFixed(1);
    console.log("\n| real nodes (1 real + 1 kwok node) | s |\n| --- | ---: |");
    console.log(`| pulumi up (control plane, real node, images, bootstrap, workloads) | ${f(upDone)} |`);
    console.log(`| up start -> real Redis set (3 servers, 3 sentinels) Ready | ${f(redisReady)} |`);
    console.log(
      `| failover: primary pod deleted -> promoted replica answers as master (median of ${times.length}; ${times.map(f).join(", ")}) | ${f(median(times))} |`,
    );
  } finally {
    await pulumiBounded(s, ["destroy", "--yes", "--non-interactive", "--skip-preview"], DESTROY_MINUTES);
    s.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchRealNodes();
