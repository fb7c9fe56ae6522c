/** The rule that every cited source is at the pinned version, on its own. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { sourceProblem, sourceVersion, versionOf } from "../../../config/contracts/index.js";

test("versionOf reads the version in a pin or a tag", () => {
  assert.equal(versionOf("redis:8.2.3-alpine"), "8.2.3");
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
  assert.equal(sourceProblem("x", "8.2.3", { ...s, notAtPin: "8.x is not stored" }), undefined);
  assert.match(sourceProblem("x", "7.4.1", { ...s, notAtPin: "stale" }) ?? "", /remove its notAtPin/);
});
