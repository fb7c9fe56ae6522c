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
const { ghostUrl, probeHeaders } = await import("../../../workloads/ghost.js");
const on = { kuard: { enabled: false }, ghost: { enabled: true } };
/** What Ghost makes of a variable: nconf 0.13.0's parseValues, JSON where it parses, else the string. */
const ghostReads = (e: Record<string, any> | undefined): unknown => {
  try {
    return JSON.parse(e?.["value"]);
  } catch {
    return e?.["value"];
  }
};

test("ghost: one replica, Recreate, content PVC, url and probes carrying Host and X-Forwarded-Proto", async () => {
  const d = await deploy(mocks, "g1", { workloads: on, gateway: "https" });
  const dep = d.one(T.deployment, "g1-ghost");
  assert.equal(dep.inputs["spec"].replicas, 1);
  assert.deepEqual(dep.inputs["spec"].strategy, { type: "Recreate" });
  const c = container(dep);
  assert.equal(c.image, "ghost:6.5.3-alpine");
  assert.equal(ghostReads(envOf(c, "url")), "https://ghost.example.test");
  assert.equal(ghostReads(envOf(c, "database__client")), "mysql");
  assert.equal(ghostReads(envOf(c, "database__connection__host")), "g1-ghost-mysql");
  assert.equal(ghostReads(envOf(c, "database__connection__user")), "ghost");
  assert.equal(ghostReads(envOf(c, "database__connection__database")), "ghost");
  assert.deepEqual(envOf(c, "database__connection__password")?.["valueFrom"], {
    secretKeyRef: { name: "g1-ghost-db", key: "password-ghost" },
  });
  for (const probe of [c.readinessProbe, c.startupProbe]) {
    assert.equal(probe.httpGet.path, "/ghost/api/admin/site/");
    assert.deepEqual(probe.httpGet.httpHeaders, [
      { name: "Host", value: "ghost.example.test" },
      { name: "X-Forwarded-Proto", value: "https" },
    ]);
  }
  assert.ok(c.livenessProbe.tcpSocket);
  assertRestricted(assert, dep, 1000);
  assertLabels(assert, dep, "ghost", "web");
  const pvc = d.one(T.pvc, "g1-ghost-content");
  assert.equal(pvc.inputs["spec"].storageClassName, "fast");
  assert.equal(podSpec(dep).volumes[0].persistentVolumeClaim.claimName, "g1-ghost-content");
  assert.equal(d.ofType(T.pdb).length, 0, "no PDB for a single replica");
  assert.equal(podSpec(dep).affinity, undefined);
  assert.deepEqual(d.one(T.route, "g1-ghost").inputs["spec"].hostnames, ["ghost.example.test"]);
  assert.equal(d.endpoints["ghost"], "https://ghost.example.test");
});

test("ghost: without a Gateway the url is a port-forward to localhost and there is no HTTPRoute", async () => {
  const d = await deploy(mocks, "g2", { workloads: on });
  const c = container(d.one(T.deployment, "g2-ghost"));
  assert.equal(ghostReads(envOf(c, "url")), "http://localhost:2368");
  assert.deepEqual(c.readinessProbe.httpGet.httpHeaders, [
    { name: "Host", value: "localhost:2368" },
    { name: "X-Forwarded-Proto", value: "http" },
  ]);
  assert.equal(d.ofType(T.route).length, 0);
  assert.equal(ghostUrl("d.test", { scheme: "http" }), "http://ghost.d.test");
  assert.deepEqual(probeHeaders("https://blog.example:8443/x"), [
    { name: "Host", value: "blog.example:8443" },
    { name: "X-Forwarded-Proto", value: "https" },
  ]);
});

test("ghost: MySQL 8 singleton StatefulSet with a PVC on the platform class and mysqladmin ping probes", async () => {
  const d = await deploy(mocks, "g3", { workloads: { ...on, ghost: { enabled: true, mysqlStorage: "3Gi" } } });
  const sts = d.one(T.statefulSet, "g3-ghost-mysql");
  assert.equal(sts.inputs["spec"].replicas, 1);
  const c = container(sts);
  assert.match(c.image, /^mysql:8\./);
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
    assert.match(probe.exec.command.join(" "), /mysqladmin ping/);
  }
  assert.deepEqual(envOf(c, "MYSQL_PASSWORD")?.["valueFrom"].secretKeyRef, { name: "g3-ghost-db", key: "password" });
  assert.equal(envOf(c, "MYSQL_DATABASE")?.["value"], "ghost");
  const claim = sts.inputs["spec"].volumeClaimTemplates[0];
  assert.equal(claim.spec.storageClassName, "fast");
  assert.equal(claim.spec.resources.requests.storage, "3Gi");
  assertRestricted(assert, sts, 999);
  assertLabels(assert, sts, "mysql", "database");
});

test("ghost: database passwords are generated secrets, never literal; a supplied one wins", async () => {
  const d = await deploy(mocks, "g4", { workloads: on });
  const data = await secretData(d, "g4-ghost-db");
  assert.deepEqual(data["password"], { value: "generated-g4-ghost-db-password", secret: true, wire: true });
  assert.equal(data["root-password"]?.secret, true);
  assertNotLiteral(assert, d, "generated-g4-ghost-db-password");
  assertNotLiteral(assert, d, "generated-g4-ghost-db-root-password");

  const pulumi = await import("@pulumi/pulumi");
  const given = await deploy(mocks, "g5", {
    workloads: on,
    secrets: { ghostDatabasePassword: pulumi.output("supplied-db-password") },
  });
  assert.deepEqual((await secretData(given, "g5-ghost-db"))["password"], {
    value: "supplied-db-password",
    secret: true,
    wire: true,
  });
  assertNotLiteral(assert, given, "supplied-db-password");
});

test("ghost: MySQL keeps its data in a subPath of the claim, so a disk's lost+found never sits in the data directory", async () => {
  const d = await deploy(mocks, "g6", { workloads: on });
  const c = container(d.one(T.statefulSet, "g6-ghost-mysql"));
  const data = (c.volumeMounts as Record<string, any>[]).find((m) => m["name"] === "data");
  assert.deepEqual(data, { name: "data", mountPath: "/var/lib/mysql", subPath: "mysql" });
});

test("ghost: without mail settings staff device verification is off and no mail transport is set", async () => {
  const d = await deploy(mocks, "g7", { workloads: on });
  const c = container(d.one(T.deployment, "g7-ghost"));
  assert.equal(envOf(c, "security__staffDeviceVerification")?.["value"], "false");
  assert.equal((c.env as Record<string, any>[]).filter((e) => String(e["name"]).startsWith("mail__")).length, 0);
  assert.equal(d.ofType(T.netpol).filter((r) => r.name.endsWith("mail-egress")).length, 0);
});

test("ghost: with an SMTP host, mail goes through it with the password from a Secret, verification stays on and egress opens the port", async () => {
  const pulumi = await import("@pulumi/pulumi");
  const d = await deploy(mocks, "g8", {
    workloads: {
      ...on,
      ghost: { enabled: true, mail: { host: "smtp.example.com", user: "blog", from: "Blog <noreply@example.com>" } },
    },
    secrets: { ghostSmtpPassword: pulumi.output("supplied-smtp-password") },
  });
  const c = container(d.one(T.deployment, "g8-ghost"));
  const value = (n: string) => ghostReads(envOf(c, n));
  assert.equal(value("mail__transport"), "SMTP");
  assert.equal(value("mail__options__host"), "smtp.example.com");
  assert.equal(value("mail__options__port"), 587);
  assert.equal(value("mail__options__secure"), false);
  assert.equal(value("mail__options__auth__user"), "blog");
  assert.equal(value("mail__from"), "Blog <noreply@example.com>");
  assert.equal(value("security__staffDeviceVerification"), true);
  assert.deepEqual(envOf(c, "mail__options__auth__pass")?.["valueFrom"], {
    secretKeyRef: { name: "g8-ghost-mail", key: "smtp-password-ghost" },
  });
  assert.deepEqual((await secretData(d, "g8-ghost-mail"))["smtp-password-ghost"], {
    value: '"supplied-smtp-password"',
    secret: true,
    wire: true,
  });
  assertNotLiteral(assert, d, "supplied-smtp-password");
  const egress = d.one(T.netpol, "g8-ghost-mail-egress").inputs["spec"];
  assert.deepEqual(egress.policyTypes, ["Egress"]);
  assert.deepEqual(egress.egress, [{ ports: [{ port: 587, protocol: "TCP" }] }]);
});
