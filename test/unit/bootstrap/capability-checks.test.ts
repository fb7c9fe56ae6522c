/**
 * Checks that depend on the cluster's capabilities run with the config checks: a homelab stack
 * whose MetalLB has no addresses stops before any resource is registered, with every problem of
 * the stack listed together, and the wizard gets the same list from `stackConfigProblems`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";
import { stackFileConfig } from "../../../config/stack-file.js";

const homelab = stackFileConfig(join(import.meta.dirname, "..", "..", "..", "stacks", "Pulumi.homelab.yaml")).raw;
const { "kuar:addons": _addons, ...withoutAddons } = homelab;
const broken = {
  ...withoutAddons,
  "kuar:ephemeral": "maybe",
  "kuar:addons": JSON.stringify({
    certManager: { issuer: "acme", acme: { email: "ops@example.com", dns01: { cloudflare: {} }, eabKeyId: "kid" } },
  }),
};

const mocks = await useMocks({ stack: "homelab", config: broken });
const { decode } = await import("../../../config/load.js");
const { stackConfigProblems } = await import("../../../schema.js");

test("fails when a homelab stack gives MetalLB no addresses: 0 resources, every problem listed together", async () => {
  await assert.rejects(import("../../../index.js"), (e: Error) => {
    assert.equal(e.name, "ConfigError");
    assert.match(e.message, /kuar found 3 problems/);
    assert.match(e.message, /kuar:ephemeral: expected a boolean, got "maybe"/);
    assert.match(e.message, /kuar:addons\.metallb\.addresses: needs at least one address range/);
    assert.match(e.message, /pulumi config set --path 'kuar:addons\.metallb\.addresses\[0\]' /);
    assert.match(e.message, /kuar:acmeEabHmacKey: is required because kuar:addons\.certManager\.acme\.eabKeyId is set/);
    return true;
  });
  await mocks.settle();
  assert.deepEqual(mocks.resources, [], "no resource may be registered");
});

test("stackConfigProblems returns the capability problems without throwing (what the wizard calls)", () => {
  const input = Object.fromEntries(Object.entries(withoutAddons).map(([k, v]) => [k.replace(/^kuar:/, ""), decode(v)]));
  const problems = stackConfigProblems(input);
  assert.deepEqual(
    problems.map((p) => p.path),
    ["kuar:addons.metallb.addresses"],
  );
  assert.deepEqual(stackConfigProblems({ ...input, addons: { metallb: { addresses: ["192.168.1.240/28"] } } }), []);
  assert.deepEqual(stackConfigProblems({ ...input, addons: { metallb: { enabled: false } } }), []);
});
