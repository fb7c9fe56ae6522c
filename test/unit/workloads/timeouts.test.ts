import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";
import { deploy, T } from "./harness.js";

const mocks = await useMocks();
const { JOB_TIMEOUTS, STATEFUL_SET_TIMEOUTS } = await import("../../../workloads/timeouts.js");

const minutes = (d: string | undefined) => Number(/^(\d+)m$/.exec(d ?? "")?.[1] ?? NaN);

test("every StatefulSet and Job waits longer than the provider's 10-minute default", async () => {
  const d = await deploy(mocks, "t1", {
    workloads: {
      kuard: { keygen: { enabled: true } },
      parse: { enabled: true },
      ghost: { enabled: true },
      redis: { enabled: true },
    },
  });
  const slow = d.captured.filter((c) => c.type === T.statefulSet || c.type === T.job);
  // mongo (parse), mysql (ghost), redis and sentinel; mongo's init Job and kuard's keygen Job.
  assert.deepEqual(
    slow.map((c) => `${c.type.split(":")[2]} ${c.name}`).sort(),
    [
      "Job t1-kuard-keygen",
      "Job t1-parse-mongo-init",
      "StatefulSet t1-ghost-mysql",
      "StatefulSet t1-parse-mongo",
      "StatefulSet t1-redis",
      "StatefulSet t1-redis-sentinel",
    ].sort(),
  );
  for (const c of slow) {
    const want = c.type === T.job ? JOB_TIMEOUTS : STATEFUL_SET_TIMEOUTS;
    assert.deepEqual(c.opts.customTimeouts, want, `${c.name} customTimeouts`);
    assert.ok(minutes(c.opts.customTimeouts?.create) > 10 && minutes(c.opts.customTimeouts?.update) > 10, c.name);
  }
});

test("a Job waits longer than its own deadline, so the Job reports its failure first", async () => {
  const d = await deploy(mocks, "t2", { workloads: { parse: { enabled: true } } });
  const deadlines = d.captured
    .filter((c) => c.type === T.job)
    .map((c) => c.props["spec"]?.activeDeadlineSeconds as number | undefined)
    .filter((x) => x !== undefined);
  assert.deepEqual(deadlines, [900], "mongo's init Job has its own deadline");
  for (const deadline of deadlines) assert.ok(minutes(JOB_TIMEOUTS.create) * 60 > deadline);
});

test("every ClusterIP Service with a selector waits for its address, and no other Service is told to", async () => {
  const d = await deploy(mocks, "t3", {
    workloads: {
      kuard: { enabled: true },
      parse: { enabled: true, dashboard: true },
      ghost: { enabled: true },
      redis: { enabled: true },
    },
  });
  const services = d.captured.filter((c) => c.type === T.service);
  const waits = (c: (typeof services)[number]) => c.props["metadata"]?.annotations?.["pulumi.com/waitFor"];
  const clusterIp = services.filter((c) => c.props["spec"]?.clusterIP !== "None" && c.props["spec"]?.selector);
  // kuard, parse, its dashboard, ghost, Redis's primary and Sentinel Services; the headless ones
  // (mongo, mysql, both Redis sets) have no Endpoints wait to replace.
  assert.deepEqual(
    clusterIp.map((c) => c.name).sort(),
    ["t3-ghost", "t3-kuard", "t3-parse", "t3-parse-dashboard", "t3-redis-primary", "t3-redis-sentinel"].sort(),
  );
  for (const c of clusterIp) assert.equal(waits(c), "jsonpath={.spec.clusterIP}", c.name);
  for (const c of services.filter((s) => !clusterIp.includes(s))) assert.equal(waits(c), undefined, c.name);
  assert.ok(
    services.every((c) => c.props["spec"]?.type !== "LoadBalancer"),
    "kuar makes no LoadBalancer Service",
  );
});
