import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";
import { deploy, podSpec, T } from "./harness.js";

const mocks = await useMocks();
const all = {
  kuard: {},
  parse: { enabled: true, dashboard: true },
  ghost: { enabled: true },
  redis: { enabled: true },
};

test("by default only kuard is deployed", async () => {
  const d = await deploy(mocks, "w1");
  assert.deepEqual(Object.keys(d.endpoints), ["kuard"]);
  assert.deepEqual(
    d.ofType(T.deployment).map((r) => r.name),
    ["w1-kuard"],
  );
});

test("all four apps compose, fill endpoints and every pod is restricted with requests, limits and probes", async () => {
  const d = await deploy(mocks, "w2", { workloads: all, gateway: "https" });
  assert.deepEqual(d.endpoints, {
    kuard: "https://kuard.example.test",
    parse: "https://parse.example.test/parse",
    parseDashboard: "https://parse-dashboard.example.test",
    ghost: "https://ghost.example.test",
    redisSentinel: "w2-redis-sentinel.apps.svc.cluster.local:26379",
    redisPrimary: "w2-redis-primary.apps.svc.cluster.local:6379",
  });
  const workloads = [...d.ofType(T.deployment), ...d.ofType(T.statefulSet), ...d.ofType(T.job)];
  assert.equal(workloads.length, 10);
  for (const w of workloads) {
    const spec = podSpec(w);
    assert.equal(spec.securityContext.runAsNonRoot, true, w.name);
    assert.ok(spec.securityContext.runAsUser > 0, w.name);
    for (const c of spec.containers) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, w.name);
      assert.ok(c.resources.requests && c.resources.limits, w.name);
      if (w.type !== T.job) assert.ok(c.readinessProbe && c.livenessProbe, `${w.name} probes`);
    }
  }
  assert.equal(d.ofType(T.route).length, 4);
  assert.equal(d.ofType(T.netpol).length, 7);
  for (const r of d.resources.filter((x) => x.type.startsWith("kubernetes:") && x.name !== "w2-apps")) {
    assert.match(r.provider ?? "", d.providerRef, `${r.type} ${r.name}`);
  }
  const names = d.resources.map((r) => `${r.type}/${r.name}`);
  assert.equal(new Set(names).size, names.length, "no two children share a type and name");
});

test("two Workloads in one stack do not collide", async () => {
  const a = await deploy(mocks, "w3", { workloads: all });
  const b = await deploy(mocks, "w4", { workloads: all });
  const names = (d: typeof a) => new Set(d.resources.map((r) => r.inputs["metadata"]?.name).filter(Boolean));
  for (const n of names(a)) assert.ok(!names(b).has(n), n);
});
