import assert from "node:assert/strict";
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
const { initiateCommand, initiateScript, memberHosts, connectionUri } = await import("../../../workloads/mongo.js");
const on = (extra: Record<string, unknown> = {}) => ({ kuard: { enabled: false }, parse: { enabled: true, ...extra } });

test("parse: parse-server Deployment with rolling updates, /parse/health probes and master-key env from the Secret", async () => {
  const d = await deploy(mocks, "p1", { workloads: on() });
  const dep = d.one(T.deployment, "p1-parse");
  assert.equal(dep.inputs["spec"].replicas, 2);
  assert.deepEqual(dep.inputs["spec"].strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
  const c = container(dep);
  assert.equal(c.image, "parseplatform/parse-server:8.2.4");
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
    assert.equal(probe.httpGet.path, "/parse/health");
  }
  assert.equal(c.ports[0].containerPort, 1337);
  assert.equal(envOf(c, "PARSE_SERVER_APPLICATION_ID")?.["value"], "kuar");
  assert.deepEqual(envOf(c, "PARSE_SERVER_MASTER_KEY")?.["valueFrom"], {
    secretKeyRef: { name: "p1-parse", key: "master-key" },
  });
  assert.equal(envOf(c, "PARSE_SERVER_MASTER_KEY")?.["value"], undefined);
  // Behind the Gateway parse-server sees the proxy's pod address, so only localhost may use the master key.
  assert.equal(envOf(c, "PARSE_SERVER_MASTER_KEY_IPS")?.["value"], "127.0.0.1,::1");
  assert.equal(envOf(c, "PARSE_SERVER_TRUST_PROXY"), undefined);
  assert.deepEqual(envOf(c, "PARSE_SERVER_DATABASE_URI")?.["valueFrom"], {
    secretKeyRef: { name: "p1-parse", key: "database-uri" },
  });
  assert.equal(envOf(c, "PARSE_SERVER_DATABASE_URI")?.["value"], undefined);
  const uri = (await secretData(d, "p1-parse"))["database-uri"]!;
  assert.equal(uri.secret, true);
  assert.equal(
    uri.value,
    "mongodb://parse:generated-p1-parse-mongo-app-password@" +
      "p1-parse-mongo-0.p1-parse-mongo.apps.svc:27017,p1-parse-mongo-1.p1-parse-mongo.apps.svc:27017," +
      "p1-parse-mongo-2.p1-parse-mongo.apps.svc:27017/parse?replicaSet=rs0&authSource=admin",
  );
  assertNotLiteral(assert, d, "generated-p1-parse-mongo-app-password");
  assertRestricted(assert, dep, 1000);
  assertLabels(assert, dep, "parse-server", "api");
  assert.ok(d.one(T.pdb, "p1-parse"));
  assert.ok(podSpec(dep).affinity.podAntiAffinity);
  assert.equal(d.one(T.service, "p1-parse").inputs["spec"].type, "ClusterIP");
  assert.equal(d.endpoints["parse"], "http://p1-parse.apps.svc.cluster.local:1337/parse");
});

test("parse: the master key is generated once, a secret, and never in plain text elsewhere", async () => {
  const d = await deploy(mocks, "p2", { workloads: on({ dashboard: true }) });
  const data = await secretData(d, "p2-parse");
  assert.deepEqual(data["master-key"], { value: "generated-p2-parse-master-key", secret: true, wire: true });
  assert.deepEqual(data["dashboard-password"], {
    value: "generated-p2-parse-dashboard-password",
    secret: true,
    wire: true,
  });
  assertNotLiteral(assert, d, "generated-p2-parse-master-key");
  assertNotLiteral(assert, d, "generated-p2-parse-dashboard-password");

  const pulumi = await import("@pulumi/pulumi");
  const given = await deploy(mocks, "p3", {
    workloads: on(),
    secrets: { parseMasterKey: pulumi.output("supplied-master-key") },
  });
  assert.deepEqual((await secretData(given, "p3-parse"))["master-key"], {
    value: "supplied-master-key",
    secret: true,
    wire: true,
  });
  assert.equal(given.resources.filter((r) => r.name === "p3-parse-master-key").length, 0);
  assertNotLiteral(assert, given, "supplied-master-key");
});

test("parse: MongoDB is a 3-member StatefulSet with a headless Service, volumes on the platform StorageClass and mongosh probes", async () => {
  const d = await deploy(mocks, "p4", { workloads: on({ storage: "5Gi" }) });
  const sts = d.one(T.statefulSet, "p4-parse-mongo");
  assert.equal(sts.inputs["spec"].replicas, 3);
  assert.equal(sts.inputs["spec"].serviceName, "p4-parse-mongo");
  const c = container(sts);
  assert.equal(c.image, "mongo:8.0.15");
  assert.deepEqual(c.args, ["mongod", "--replSet", "rs0", "--bind_ip_all", "--keyFile", "/run/mongo/keyfile"]);
  assert.match(c.readinessProbe.exec.command.join(" "), /mongosh --quiet --eval "db.adminCommand\('ping'\)"/);
  assert.match(c.livenessProbe.exec.command.join(" "), /db\.adminCommand\('ping'\)/);
  const claim = sts.inputs["spec"].volumeClaimTemplates[0];
  assert.equal(claim.spec.storageClassName, "fast");
  assert.equal(claim.spec.resources.requests.storage, "5Gi");
  assertRestricted(assert, sts, 999);
  assertLabels(assert, sts, "mongo", "database");
  const svc = d.one(T.service, "p4-parse-mongo");
  assert.equal(svc.inputs["spec"].clusterIP, "None");
  assert.equal(svc.inputs["spec"].publishNotReadyAddresses, true);
  assert.ok(d.one(T.pdb, "p4-parse-mongo"));
  assert.ok(podSpec(sts).affinity.podAntiAffinity);
});

test("parse: a single Mongo member is allowed and gets no PDB or anti-affinity", async () => {
  const d = await deploy(mocks, "p5", { workloads: on({ mongoMembers: 1, replicas: 1 }) });
  assert.equal(d.one(T.statefulSet, "p5-parse-mongo").inputs["spec"].replicas, 1);
  assert.equal(d.ofType(T.pdb).length, 0);
  assert.equal(podSpec(d.one(T.statefulSet, "p5-parse-mongo")).affinity, undefined);
});

test("parse: the replica-set Job waits for members and initiates only when rs.status() says it is not yet initiated", async () => {
  const d = await deploy(mocks, "p6", { workloads: on() });
  const job = d.one(T.job, "p6-parse-mongo-init");
  assert.ok(job.inputs["spec"].backoffLimit > 0);
  assert.ok(job.inputs["spec"].ttlSecondsAfterFinished > 0);
  assertRestricted(assert, job, 999);
  const c = container(job);
  const shell = c.command.join(" ");
  for (let i = 0; i < 3; i++) assert.ok(shell.includes(`p6-parse-mongo-${i}.p6-parse-mongo.apps.svc`));
  assert.match(shell, /until mongosh .*db\.adminCommand\('ping'\)/);
  const js = envOf(c, "INITIATE_JS")?.["value"] as string;
  assert.match(js, /rs\.status\(\)/);
  assert.match(js, /NotYetInitialized/);
  assert.match(js, /already initiated; nothing to do/);
  assert.ok(js.indexOf("rs.status()") < js.indexOf("rs.initiate("), "checks before initiating");
  assert.ok(js.indexOf("admin.auth(") < js.indexOf("rs.status()"), "authenticates first");
  assert.match(js, /process\.env\.MONGO_ROOT_PASSWORD/);
  assert.match(js, /createUser/);
  assert.match(js, /updateUser/);
  assert.deepEqual(envOf(c, "MONGO_ROOT_PASSWORD")?.["valueFrom"], {
    secretKeyRef: { name: "p6-parse-mongo", key: "root-password" },
  });
  assert.deepEqual(envOf(c, "APP_PASSWORD")?.["valueFrom"], {
    secretKeyRef: { name: "p6-parse-mongo", key: "app-password" },
  });
  assert.equal(envOf(c, "APP_USER")?.["value"], "parse");
  assert.ok(!shell.includes("-p ") && !shell.includes("--password"), "no password on a command line");
});

test("parse: MongoDB runs with replica-set auth: a generated key file copied to mode 0400, root user from a Secret on member 0 only", async () => {
  const d = await deploy(mocks, "p10", { workloads: on() });
  const sts = d.one(T.statefulSet, "p10-parse-mongo");
  const spec = podSpec(sts);
  const keyVolume = spec.volumes.find((v: Record<string, any>) => v["name"] === "key");
  assert.deepEqual(keyVolume.secret.items, [{ key: "keyfile", path: "keyfile" }]);
  assert.equal(keyVolume.secret.secretName, "p10-parse-mongo");
  const init = spec.initContainers[0];
  assert.deepEqual(init.command, [
    "sh",
    "-c",
    "rm -f /run/mongo/keyfile && cp /etc/mongo-key/keyfile /run/mongo/keyfile && chmod 0400 /run/mongo/keyfile",
  ]);
  const c = container(sts);
  assert.ok(c.args.includes("--keyFile"));
  assert.equal(envOf(c, "MONGO_INITDB_ROOT_USERNAME")?.["value"], "root");
  assert.deepEqual(envOf(c, "MONGO_INITDB_ROOT_PASSWORD")?.["valueFrom"], {
    secretKeyRef: { name: "p10-parse-mongo", key: "root-password" },
  });
  assert.equal(c.command[0], "bash");
  assert.match(
    c.command[2],
    /\$\{POD_NAME##\*-\}" != "0".*unset MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD/,
  );
  assert.match(c.command[2], /exec docker-entrypoint\.sh "\$@"$/);
  const data = await secretData(d, "p10-parse-mongo");
  for (const k of ["keyfile", "root-password", "app-password"]) assert.equal(data[k]?.secret, true, k);
  assertNotLiteral(assert, d, "generated-p10-parse-mongo-keyfile");
  assertNotLiteral(assert, d, "generated-p10-parse-mongo-root-password");
});

test("parse: pure Mongo helpers", () => {
  const hosts = memberHosts("m", "h", "ns", 3);
  assert.deepEqual(hosts, ["m-0.h.ns.svc:27017", "m-1.h.ns.svc:27017", "m-2.h.ns.svc:27017"]);
  assert.equal(connectionUri(hosts.slice(0, 1), "db"), "mongodb://m-0.h.ns.svc:27017/db?replicaSet=rs0");
  assert.equal(
    connectionUri(hosts.slice(0, 1), "db", { user: "u@x", password: "p:/w" }),
    "mongodb://u%40x:p%3A%2Fw@m-0.h.ns.svc:27017/db?replicaSet=rs0&authSource=admin",
  );
  const js = initiateScript(hosts);
  assert.ok(js.includes('"_id":"rs0"'));
  assert.ok(js.includes('{"_id":2,"host":"m-2.h.ns.svc:27017"}'));
  const sh = initiateCommand(hosts);
  assert.ok(sh.includes("for host in m-0.h.ns.svc m-1.h.ns.svc m-2.h.ns.svc; do"));
  assert.ok(sh.endsWith('mongosh --quiet --host m-0.h.ns.svc --eval "$INITIATE_JS"'));
});

test("parse: dashboard is optional, reads the master key from the Secret, and routes exist only with a Gateway", async () => {
  const plain = await deploy(mocks, "p7", { workloads: on() });
  assert.equal(plain.ofType(T.deployment).filter((r) => r.name.endsWith("dashboard")).length, 0);
  assert.equal(plain.ofType(T.route).length, 0);

  const d = await deploy(mocks, "p8", { workloads: on({ dashboard: true, appId: "books" }), gateway: "https" });
  const dash = d.one(T.deployment, "p8-parse-dashboard");
  const c = container(dash);
  assert.equal(c.image, "parseplatform/parse-dashboard:7.3.0");
  assert.equal(envOf(c, "PARSE_DASHBOARD_APP_ID")?.["value"], "books");
  assert.equal(envOf(c, "PARSE_DASHBOARD_SERVER_URL")?.["value"], "https://parse.example.test/parse");
  assert.equal(envOf(c, "PARSE_DASHBOARD_ALLOW_INSECURE_HTTP"), undefined);
  assert.equal(envOf(c, "PARSE_DASHBOARD_TRUST_PROXY")?.["value"], "1");
  assert.deepEqual(envOf(c, "PARSE_DASHBOARD_MASTER_KEY")?.["valueFrom"].secretKeyRef, {
    name: "p8-parse",
    key: "master-key",
  });
  assert.ok(c.readinessProbe && c.livenessProbe);
  assertRestricted(assert, dash, 1000);
  assert.deepEqual(d.one(T.route, "p8-parse").inputs["spec"].hostnames, ["parse.example.test"]);
  assert.deepEqual(d.one(T.route, "p8-parse").inputs["spec"].rules[0].backendRefs, [{ name: "p8-parse", port: 1337 }]);
  assert.ok(d.one(T.route, "p8-parse-dashboard"));
  assert.equal(d.endpoints["parse"], "https://parse.example.test/parse");
  assert.equal(d.endpoints["parseDashboard"], "https://parse-dashboard.example.test");
});

test("parse: master key IPs are configurable, and trusted proxies reach parse-server as JSON", async () => {
  const d = await deploy(mocks, "p9", {
    workloads: on({ masterKeyIps: ["203.0.113.7"], trustProxy: ["10.42.0.0/16", "fd00::/8"] }),
  });
  const c = container(d.one(T.deployment, "p9-parse"));
  assert.equal(envOf(c, "PARSE_SERVER_MASTER_KEY_IPS")?.["value"], "203.0.113.7");
  const trust = envOf(c, "PARSE_SERVER_TRUST_PROXY")?.["value"] as string;
  assert.deepEqual(JSON.parse(trust), ["10.42.0.0/16", "fd00::/8"]);
});

test("parse: the dashboard sets at most one of ALLOW_INSECURE_HTTP and TRUST_PROXY (it exits when both are set, and reads any value as on)", async () => {
  const cases = [
    { gateway: undefined, want: [] },
    { gateway: "http" as const, want: ["PARSE_DASHBOARD_ALLOW_INSECURE_HTTP"] },
    { gateway: "https" as const, want: ["PARSE_DASHBOARD_TRUST_PROXY"] },
  ];
  for (const [i, k] of cases.entries()) {
    const d = await deploy(mocks, `p2${i}`, { workloads: on({ dashboard: true }), gateway: k.gateway });
    const c = container(d.one(T.deployment, `p2${i}-parse-dashboard`));
    const set = ["PARSE_DASHBOARD_ALLOW_INSECURE_HTTP", "PARSE_DASHBOARD_TRUST_PROXY"].filter((n) => envOf(c, n));
    assert.deepEqual(set, k.want, `gateway ${k.gateway}`);
    for (const n of set) assert.equal(envOf(c, n)?.["value"], "1");
  }
});
