/**
 * Which stacks `kuar ephemeral down|run|reap` may tear down: only those `kuar ephemeral up`
 * created. The data-loss case of issue 16 (`down --name local` destroyed the committed local
 * stack) is the first test; on the code before the fix, readSession invented a session for any
 * name and down never looked at the marker.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readSession } from "../../../cli/ephemeral.js";
import { nameTaken, ownership, validSession, type Session } from "../../../cli/ownership.js";

const EXPIRES = "2026-12-01T10:00:00.000Z";
const session = (stack: string, extra: Partial<Session> = {}): Session => ({
  stack,
  base: "local",
  target: "local",
  expiresAt: EXPIRES,
  kubeconfig: `/x/${stack}.kubeconfig`,
  localCluster: `kuar-${stack}`,
  ...extra,
});
const marked = { "kuar:ephemeral": "true", "kuar:expiresAt": EXPIRES };

describe("ephemeral ownership", () => {
  test("fails when asked to tear down the committed local stack: refused, naming it and why", () => {
    const o = ownership({
      name: "local",
      stackExists: true,
      config: { "kuar:target": "local" },
      stackFileTracked: true,
    });
    assert.equal(o.owned, false);
    assert.ok(!o.owned && !o.absent);
    assert.match(o.reason, /refusing to tear down local: stacks\/Pulumi\.local\.yaml is committed to git/);
  });

  test("fails when the stack has no kuar:ephemeral marker, even with a session record of that name", () => {
    const o = ownership({
      name: "dev",
      session: session("dev"),
      stackExists: true,
      config: {},
      stackFileTracked: false,
    });
    assert.ok(!o.owned && !o.absent);
    assert.match(o.reason, /dev: the stack has no kuar:ephemeral marker, so kuar ephemeral up did not create it/);
    assert.match(o.reason, /kuar destroy --stack dev/);
  });

  test("fails when the marker is false", () => {
    const o = ownership({
      name: "dev",
      stackExists: true,
      config: { "kuar:ephemeral": "false", "kuar:expiresAt": EXPIRES },
      stackFileTracked: false,
    });
    assert.ok(!o.owned && !o.absent);
    assert.match(o.reason, /kuar:ephemeral = "false"/);
  });

  test("fails when a user-set marker has no expiry (up always writes both)", () => {
    const o = ownership({
      name: "dev",
      stackExists: true,
      config: { "kuar:ephemeral": "true" },
      stackFileTracked: false,
    });
    assert.ok(!o.owned && !o.absent);
    assert.match(o.reason, /no kuar:expiresAt/);
  });

  test("fails when the config cannot be read", () => {
    const o = ownership({ name: "ci-x", stackExists: true, stackFileTracked: false });
    assert.ok(!o.owned && !o.absent);
    assert.match(o.reason, /could not be read/);
  });

  test("fails when the session record and the stack disagree on the expiry", () => {
    const o = ownership({
      name: "ci-x",
      session: session("ci-x", { expiresAt: "2026-11-30T00:00:00.000Z" }),
      stackExists: true,
      config: marked,
      stackFileTracked: false,
    });
    assert.ok(!o.owned && !o.absent);
    assert.match(o.reason, /not the same ephemeral stack/);
  });

  test("owns a marked stack and keeps its session record", () => {
    const o = ownership({
      name: "ci-x",
      session: session("ci-x"),
      stackExists: true,
      config: marked,
      stackFileTracked: false,
    });
    assert.ok(o.owned);
    assert.equal(o.inBackend, true);
    assert.equal(o.session.localCluster, "kuar-ci-x");
  });

  test("owns a marked stack without a local record (a reaper elsewhere), its control plane from the config", () => {
    const o = ownership({
      name: "ci-y",
      stackExists: true,
      config: {
        ...marked,
        "kuar:target": "local",
        "kuar:local": JSON.stringify({ clusterName: "kuar-ci-y", nodes: 2 }),
      },
      stackFileTracked: false,
    });
    assert.ok(o.owned);
    assert.equal(o.session.expiresAt, EXPIRES);
    assert.equal(o.session.localCluster, "kuar-ci-y");
  });

  test("owns an interrupted up (record, no stack yet)", () => {
    const o = ownership({ name: "ci-z", session: session("ci-z"), stackExists: false, stackFileTracked: false });
    assert.ok(o.owned);
    assert.equal(o.inBackend, false);
  });

  test("a bare name with neither stack nor record is absent: nothing is deleted", () => {
    const o = ownership({ name: "local", stackExists: false, stackFileTracked: false });
    assert.ok(!o.owned && o.absent);
    assert.match(o.reason, /nothing was deleted/);
  });

  test("an invented record (empty fields, as the old readSession made) does not count", () => {
    const invented = { stack: "local", base: "", target: "", expiresAt: "", kubeconfig: "" };
    assert.equal(validSession("local", invented), false);
    const o = ownership({ name: "local", session: invented, stackExists: false, stackFileTracked: false });
    assert.ok(!o.owned && o.absent);
  });

  test("a record for another stack does not count", () => {
    assert.equal(validSession("ci-a", session("ci-b")), false);
  });

  test("fails when readSession is asked for a name up never recorded (it used to invent one)", () => {
    assert.equal(readSession(`never-recorded-${process.pid}`), undefined);
  });

  test("fails when up is given the name of an existing stack file or backend stack", () => {
    assert.match(
      nameTaken("local", { stackFileExists: true, stackExists: false }) ?? "",
      /stacks\/Pulumi\.local\.yaml already exists/,
    );
    assert.match(
      nameTaken("dev", { stackFileExists: false, stackExists: true }) ?? "",
      /already exists in the backend/,
    );
    assert.equal(nameTaken("ci-new", { stackFileExists: false, stackExists: false }), undefined);
  });
});
