import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";
import {
  assertLabels,
  assertNotLiteral,
  assertRestricted,
  container,
  deploy,
  envOf,
  podSpec,
  secretData,
  T,
} from "./harness.js";

const mocks = await useMocks();
const { sentinelConf, redisStartScript, sentinelStartScript } = await import("../../../workloads/redis.js");
const on = (extra: Record<string, unknown> = {}) => ({ kuard: { enabled: false }, redis: { enabled: true, ...extra } });

test("redis: a primary plus 2 replicas and 3 sentinels, each spread over nodes with a PDB", async () => {
  const d = await deploy(mocks, "r1", { workloads: on() });
  const server = d.one(T.statefulSet, "r1-redis");
  const sentinel = d.one(T.statefulSet, "r1-redis-sentinel");
  assert.equal(server.inputs["spec"].replicas, 3);
  assert.equal(sentinel.inputs["spec"].replicas, 3);
  for (const s of [server, sentinel]) {
    assertRestricted(assert, s, 999);
    assert.ok(podSpec(s).affinity.podAntiAffinity);
    assert.equal(d.one(T.pdb, s.name).inputs["spec"].maxUnavailable, 1);
  }
  assertLabels(assert, server, "redis", "server");
  assertLabels(assert, sentinel, "redis", "sentinel");
  assert.match(container(server).image, /^redis:/);
  assert.equal(server.inputs["spec"].volumeClaimTemplates[0].spec.storageClassName, "fast");
  assert.equal(d.endpoints["redisSentinel"], "r1-redis-sentinel.apps.svc.cluster.local:26379");
  assert.equal(d.endpoints["redisPrimary"], "r1-redis-primary.apps.svc.cluster.local:6379");
});

test("redis: probes ping 6379 and 26379 with the password from REDISCLI_AUTH", async () => {
  const d = await deploy(mocks, "r2", { workloads: on() });
  const server = container(d.one(T.statefulSet, "r2-redis"));
  const sentinel = container(d.one(T.statefulSet, "r2-redis-sentinel"));
  assert.match(server.readinessProbe.exec.command.join(" "), /redis-cli ping/);
  assert.match(server.livenessProbe.exec.command.join(" "), /redis-cli ping/);
  assert.match(sentinel.readinessProbe.exec.command.join(" "), /redis-cli -p 26379 ping/);
  assert.match(sentinel.livenessProbe.exec.command.join(" "), /redis-cli -p 26379 ping/);
  for (const c of [server, sentinel]) {
    assert.deepEqual(envOf(c, "REDISCLI_AUTH")?.["valueFrom"].secretKeyRef, { name: "r2-redis", key: "password" });
    assert.deepEqual(envOf(c, "REDIS_PASSWORD")?.["valueFrom"].secretKeyRef, { name: "r2-redis", key: "password" });
  }
});

test("redis: sentinel config carries the master name and quorum; the ConfigMap holds no password", async () => {
  const d = await deploy(mocks, "r3", { workloads: on({ masterName: "cache", quorum: 3, sentinels: 5 }) });
  const cm = d.one(T.configMap, "r3-redis");
  const conf = cm.inputs["data"]["sentinel.conf"] as string;
  assert.match(conf, /^sentinel monitor cache %PRIMARY% 6379 3$/m);
  assert.match(conf, /^sentinel down-after-milliseconds cache /m);
  assert.equal(d.one(T.statefulSet, "r3-redis-sentinel").inputs["spec"].replicas, 5);
  assert.doesNotMatch(JSON.stringify(cm.inputs), /requirepass "[^%]/);
  const data = await secretData(d, "r3-redis");
  assert.deepEqual(data["password"], { value: "generated-r3-redis-password", secret: true, wire: true });
  assertNotLiteral(assert, d, "generated-r3-redis-password");
});

test("redis: the start scripts inject requirepass/masterauth from the environment and follow Sentinel", () => {
  const s = redisStartScript();
  assert.match(s, /requirepass "%s"\\nmasterauth "%s"/);
  assert.match(s, /"\$REDIS_PASSWORD"/);
  assert.match(s, /sentinel get-master-addr-by-name "\$MASTER_NAME"/);
  assert.match(s, /replicaof %s 6379/);
  const t = sentinelStartScript();
  assert.match(t, /sentinel auth-pass %s "%s"/);
  assert.match(t, /s\/%PRIMARY%\/\$primary\//);
  assert.equal(sentinelConf("mymaster", 2).split("\n")[4], "sentinel monitor mymaster %PRIMARY% 6379 2");
});

test("redis: the server's start script runs, and runs again after a restart, with the ConfigMap's 0555 files", () => {
  const root = mkdtempSync(join(tmpdir(), "kuar-redis-start-"));
  try {
    for (const d of ["etc/kuar", "run/redis", "bin"]) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, "etc/kuar/redis.conf"), "port 6379\n", { mode: 0o555 });
    // Stand-ins: Sentinel knows no primary yet, and redis-server prints the config it was given.
    const stub = (name: string, body: string) =>
      writeFileSync(join(root, "bin", name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    stub("redis-cli", "exit 1");
    stub("hostname", "echo r-redis-1");
    stub("timeout", 'shift; exec "$@"');
    stub("redis-server", 'cat "$1"');
    const script = redisStartScript()
      .replaceAll("/etc/kuar", join(root, "etc/kuar"))
      .replaceAll("/run/redis", join(root, "run/redis"));
    const env = {
      PATH: `${join(root, "bin")}:/usr/bin:/bin`,
      HEADLESS_SERVICE: "r-redis-headless",
      REDIS_HEADLESS_SERVICE: "r-redis-headless",
      POD_NAMESPACE: "apps",
      BOOTSTRAP_PRIMARY: "r-redis-0",
      SENTINEL_SERVICE: "r-redis-sentinel",
      MASTER_NAME: "mymaster",
      REDIS_PASSWORD: 'p"w',
    };
    // As the container runs: not root (root would write to a 0555 file regardless).
    chmodSync(root, 0o755);
    chmodSync(join(root, "run/redis"), 0o777);
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    for (const run of ["first start", "restart"]) {
      const r = spawnSync("sh", ["-c", script], { env, encoding: "utf8", ...asUser });
      assert.equal(r.status, 0, `${run}: ${r.stderr}`);
      assert.match(r.stdout, /^port 6379\nrequirepass "p\\"w"\nmasterauth "p\\"w"\n/, run);
      assert.match(r.stdout, /replicaof r-redis-0\.r-redis-headless\.apps\.svc 6379\n$/, run);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("redis: a supplied password is used and kept secret; no replicas means no server PDB", async () => {
  const pulumi = await import("@pulumi/pulumi");
  const d = await deploy(mocks, "r4", {
    workloads: on({ replicas: 0 }),
    secrets: { redisPassword: pulumi.output("supplied-redis-pw") },
  });
  assert.deepEqual((await secretData(d, "r4-redis"))["password"], {
    value: "supplied-redis-pw",
    secret: true,
    wire: true,
  });
  assertNotLiteral(assert, d, "supplied-redis-pw");
  assert.equal(d.one(T.statefulSet, "r4-redis").inputs["spec"].replicas, 1);
  assert.deepEqual(
    d.ofType(T.pdb).map((r) => r.name),
    ["r4-redis-sentinel"],
  );
});
