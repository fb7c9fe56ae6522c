/**
 * Test traffic never leaves this machine: while a test host's link is down, a packet for it must
 * be refused here or stay on the test's own veth, never follow the default route.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { Harness, SUBNET, skipReason, type TestHost } from "../../kit/ssh/harness.js";

const reason = skipReason();
if (reason) console.log(`# ssh tier (traffic guard) SKIPPED: ${reason}`);

describe("ssh harness keeps test traffic on this machine", { skip: reason }, () => {
  let h: Harness;
  let host: TestHost;
  before(async () => {
    h = await Harness.start(1);
    host = h.hosts[0]!;
  });
  after(() => h?.stop());

  test("the whole test subnet has an unreachable route for the harness's lifetime", () => {
    const routes = execFileSync("ip", ["-4", "route", "show", "root", SUBNET], { encoding: "utf8" });
    assert.match(routes, /^unreachable 10\.213\.0\.0\/16 /m);
  });

  test("with the link down, the host's address resolves only to its own veth or to unreachable", () => {
    assert.equal(host.route().dev, `${host.veth}a`, "with the link up, the host is on its veth");
    host.linkDown();
    try {
      const r = host.route();
      assert.ok(r.unreachable || r.dev === `${host.veth}a`, `route get ${host.address}: ${JSON.stringify(r)}`);
    } finally {
      host.linkUp();
    }
  });

  test("even with the host-side link gone (no connected route), the address is unreachable", () => {
    // The worst case the old linkDown() created: the host side of the veth down, its /30 route gone.
    execFileSync("ip", ["link", "set", `${host.veth}a`, "down"]);
    try {
      const r = host.route();
      assert.equal(r.unreachable, true, `route get ${host.address}: ${JSON.stringify(r)}`);
      assert.equal(r.dev, undefined);
    } finally {
      execFileSync("ip", ["link", "set", `${host.veth}a`, "up"]);
      execFileSync("ip", ["addr", "replace", `${host.gateway}/30`, "dev", `${host.veth}a`]);
    }
  });
});
