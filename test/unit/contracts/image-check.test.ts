/** The contract checker itself: each rule fails on the container it exists to catch. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadContracts, sourceProblem, sourceVersion, versionOf } from "../../../config/contracts/index.js";
import { imageContractSchema } from "../../../config/contracts/images/schema.js";
import { checkPod, scriptCommands, valueProblem } from "./image-check.js";

const records = loadContracts("images", imageContractSchema);
const restricted = { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 };
const ro = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
const pod = (
  containers: Record<string, unknown>[],
  securityContext: Record<string, unknown> = restricted,
  volumes = [],
) => ({
  owner: "Pod t",
  spec: { securityContext, containers, volumes },
});
const mysql = (extra: Record<string, unknown> = {}) => ({
  name: "mysql",
  image: "mysql:8.4.7",
  securityContext: ro,
  volumeMounts: ["/var/lib/mysql", "/var/run/mysqld", "/var/lib/mysql-files", "/tmp"].map((p) => ({
    name: p,
    mountPath: p,
  })),
  ...extra,
});

test("a well-formed container has no problems", () => {
  assert.deepEqual(checkPod(pod([mysql()]), records), []);
});

test("fails when an image without ENTRYPOINT gets flags as args only (kuard's keygen Job)", () => {
  const c = { name: "k", image: "gcr.io/kuar-demo/kuard-amd64:blue", args: ["--keygen-enable"], securityContext: ro };
  const p = checkPod(pod([c], { runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 }), records);
  assert.match(p.join("\n"), /no ENTRYPOINT, so args .* exec --keygen-enable; set command to \["\/kuard"\]/);
  const fixed = checkPod(
    pod([{ ...c, command: ["/kuard"] }], { runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 }),
    records,
  );
  assert.deepEqual(fixed, []);
  const typo = checkPod(
    pod([{ ...c, command: ["/kuard"], args: ["--keygen-enabled"] }], {
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
    }),
    records,
  );
  assert.match(typo.join("\n"), /has no flag --keygen-enabled/);
});

test("fails when a path the image writes is on the read-only root", () => {
  const p = checkPod(pod([mysql({ volumeMounts: [{ name: "d", mountPath: "/var/lib/mysql" }] })]), records);
  assert.match(p.join("\n"), /mysqld writes \/var\/run\/mysqld, which is on the read-only root/);
});

test("fails when the pod runs as another user than the image's", () => {
  const p = checkPod(pod([mysql()], { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 }), records);
  assert.match(p.join("\n"), /runs as uid 1000, the mysql image's user mysql is 999/);
});

test("fails when a probe calls a tool the image lacks", () => {
  const probe = { exec: { command: ["sh", "-c", "mongo --eval 'db.adminCommand(1)'"] } };
  const c = {
    name: "m",
    image: "mongo:8.0.15",
    securityContext: ro,
    readinessProbe: probe,
    env: [{ name: "HOME", value: "/tmp" }],
    volumeMounts: ["/data/db", "/data/configdb", "/tmp"].map((p) => ({ name: p, mountPath: p })),
  };
  assert.match(checkPod(pod([c]), records).join("\n"), /a probe runs mongo, which the mongo image does not have/);
});

test("fails when an env name is read by nothing, or a value the image misparses", () => {
  const p = checkPod(pod([mysql({ env: [{ name: "MYSQL_PASS", value: "x" }] })]), records).join("\n");
  assert.match(p, /env MYSQL_PASS is read by neither the mysql image nor kuar's script/);
  assert.match(valueProblem("presence", "false")!, /turns it on/);
  assert.match(valueProblem("comma-list", "a, b")!, /without trimming/);
  assert.match(valueProblem("json", "[10.0.0.0/8]")!, /not JSON/);
  assert.equal(valueProblem("json", '["10.0.0.0/8"]'), undefined);
  assert.match(valueProblem("nconf", "smtp.example.com")!, /JSON literal, "\\"smtp\.example\.com\\""/);
  assert.equal(valueProblem("nconf", '"smtp.example.com"'), undefined);
  assert.equal(valueProblem("nconf", "587"), undefined);
});

test("fails when a binary with file capabilities runs with ALL dropped and nothing added back (CoreDNS)", () => {
  const c = {
    name: "coredns",
    image: "registry.k8s.io/coredns/coredns:v1.12.4",
    args: ["-conf", "/etc/coredns/Corefile"],
    securityContext: ro,
  };
  const sc = { runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 };
  assert.match(checkPod(pod([c], sc), records).join("\n"), /file capability NET_BIND_SERVICE/);
  const fixed = { ...c, securityContext: { ...ro, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } };
  assert.deepEqual(checkPod(pod([fixed], sc), records), []);
});

test("fails when parse-dashboard gets both proxy variables", () => {
  const c = {
    name: "d",
    image: "parseplatform/parse-dashboard:7.3.0",
    securityContext: ro,
    env: [
      { name: "PARSE_DASHBOARD_ALLOW_INSECURE_HTTP", value: "1" },
      { name: "PARSE_DASHBOARD_TRUST_PROXY", value: "1" },
    ],
  };
  const p = checkPod(pod([c], { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 }), records);
  assert.match(p.join("\n"), /are both set; the parseDashboard image exits/);
});

test("fails when the image is not the pinned tag", () => {
  assert.match(
    checkPod(pod([mysql({ image: "mysql:9.1.0" })]), records).join("\n"),
    /not the pin the mysql record describes/,
  );
});

test("scriptCommands finds the first word of each command, inside $(...) and after wrappers", () => {
  const sh = [
    "set -eu",
    'p="$(timeout 5 redis-cli -p 1 ping | head -n 1 || true)"',
    'case "$p" in ""|*" "*) p=x ;; esac',
    "for h in a b; do",
    '  until mongosh --host "$h" >/dev/null 2>&1; do sleep 2; done',
    "done",
    'if [ "$p" != x ]; then unset A; fi; exec docker-entrypoint.sh "$@"',
  ].join("\n");
  assert.deepEqual(scriptCommands(sh), ["timeout", "redis-cli", "head", "mongosh", "sleep", "docker-entrypoint.sh"]);
});

// The rule that every cited source is at the pinned version, on its own.

test("versionOf reads the version in a pin or a tag", () => {
  assert.equal(versionOf("redis:8.6.6-alpine"), "8.6.6");
  assert.equal(versionOf("registry.k8s.io/coredns/coredns:v1.12.4"), "1.12.4");
  assert.equal(versionOf("external-dns-helm-chart-1.19.0"), "1.19.0");
  assert.equal(versionOf("gcr.io/kuar-demo/kuard-amd64:blue"), "blue");
});

test("a commit spells no version; a stated version stands for it", () => {
  const s = { repo: "docker-library/mongo", path: "8.0/Dockerfile", tag: "12330e190" };
  assert.equal(sourceVersion(s), undefined);
  assert.equal(sourceVersion({ ...s, version: "8.0.15" }), "8.0.15");
});

test("a source at the pin passes", () => {
  assert.equal(
    sourceProblem("x", "1.12.4", { repo: "coredns/coredns", path: "Dockerfile", tag: "v1.12.4" }),
    undefined,
  );
});

test("fails when a source is read at another version than the pin", () => {
  const p = sourceProblem("x", "8.2.4", { repo: "parse-community/parse-server", path: "Dockerfile", tag: "7.3.0" });
  assert.match(p ?? "", /read at 7\.3\.0, but the pin is 8\.2\.4; re-read it at 8\.2\.4/);
});

test("fails when a commit does not say which release it is", () => {
  const p = sourceProblem("x", "8.4.7", {
    repo: "docker-library/mysql",
    path: "8.4/Dockerfile.oracle",
    tag: "ddb031e",
  });
  assert.match(p ?? "", /is a commit; say which release/);
});

test("a source not at the pin passes only when it says why, and a stale reason fails", () => {
  const s = { repo: "redis/redis", path: "src/redis-cli.c", tag: "7.4.1" };
  assert.equal(sourceProblem("x", "8.6.6", { ...s, notAtPin: "8.x is not stored" }), undefined);
  assert.match(sourceProblem("x", "7.4.1", { ...s, notAtPin: "stale" }) ?? "", /remove its notAtPin/);
});
