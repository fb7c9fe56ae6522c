/**
 * Bad stack config stops the program with every problem listed: path, value received, what is
 * allowed, how to fix. Target-, add-on- and workload-specific cases live beside their tests.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../../config/errors.js";
import { parseConfig, parseObject } from "../../../config/load.js";
import { flat } from "../../../config/stack-file.js";
import { targetNames } from "../../../providers/registry.js";

/** Parses and returns the ConfigError, failing the test if parsing succeeded. */
function problems(input: Record<string, unknown>, isSecret?: (k: string) => boolean): ConfigError {
  try {
    parseObject(input, isSecret ? { isSecret } : {});
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail(`config was accepted: ${JSON.stringify(input)}`);
}

describe("valid config", () => {
  test("an empty stack is the local target with defaults", () => {
    const c = parseConfig({});
    assert.equal(c.target, "local");
    assert.deepEqual(c.settings, { nodes: 3, realNodes: 0, images: {} });
    assert.equal(c.ephemeral, false);
  });

  test("values arrive as Pulumi strings and are decoded", () => {
    const c = parseConfig({ ...flat({ local: { nodes: 5 } }), "kuar:ephemeral": "true", "aws:region": "x" });
    assert.deepEqual(c.settings, { nodes: 5, realNodes: 0, images: {} });
    assert.equal(c.ephemeral, true);
  });
});

describe("bad config", () => {
  test("fails when the target is unknown, suggesting the closest one", () => {
    const e = problems({ target: "gkee" });
    const allowed = targetNames.map((t) => `"${t}"`).join(", ");
    assert.ok(
      e.message.includes(`kuar:target: expected one of ${allowed}, got "gkee". Did you mean "gke"?`),
      e.message,
    );
  });

  test("fails when the target has the wrong case", () => {
    assert.match(problems({ target: "Local" }).message, /kuar:target: .*got "Local"\. Did you mean "local"\?/);
  });

  test("fails when a top-level key is misspelt", () => {
    const e = problems({ workload: {} });
    assert.match(
      e.message,
      /kuar:workload: is not a setting kuar knows, got \{\}\. Did you mean "workloads"\? Rename the key\./,
    );
  });

  test("fails when a key kuar does not know is set, listing the known keys", () => {
    assert.match(
      problems({ zzzzzzzz: 1 }).message,
      /kuar:zzzzzzzz: is not a setting kuar knows, got 1\. Remove it; known keys here: target, ephemeral/,
    );
  });

  test("fails when ephemeral is not a boolean", () => {
    assert.match(problems({ ephemeral: "yes" }).message, /kuar:ephemeral: expected a boolean, got "yes"/);
  });

  test("fails when expiresAt is not an ISO 8601 time", () => {
    assert.match(problems({ expiresAt: "tomorrow" }).message, /kuar:expiresAt: .*got "tomorrow"/);
  });

  test("fails when local.nodes is zero", () => {
    assert.match(problems({ local: { nodes: 0 } }).message, /kuar:local\.nodes: must be at least 1, got 0/);
  });

  test("fails when local.nodes is above the maximum", () => {
    assert.match(problems({ local: { nodes: 500 } }).message, /kuar:local\.nodes: must be at most 50, got 500/);
  });

  test("fails when local.nodes is not an integer", () => {
    assert.match(problems({ local: { nodes: 2.5 } }).message, /kuar:local\.nodes: expected an integer, got 2\.5/);
  });

  test("fails when local.clusterName is not a DNS label", () => {
    assert.match(
      problems({ local: { clusterName: "My_Cluster" } }).message,
      /kuar:local\.clusterName: expected a lowercase DNS label .*got "My_Cluster"\. Use lowercase letters, digits and dashes\./,
    );
  });

  test("fails when the target's settings have a misspelt key", () => {
    assert.match(problems({ local: { node: 3 } }).message, /kuar:local\.node: .*Did you mean "nodes"\?/);
  });

  test("fails when the target's settings are not an object", () => {
    assert.match(problems({ local: "big" }).message, /kuar:local: expected an object, got "big"/);
  });

  test("fails when addons is not an object", () => {
    assert.match(problems({ addons: ["dns"] }).message, /kuar:addons: expected an object, got \["dns"\]/);
  });

  test("fails when workloads is a string", () => {
    assert.match(problems({ workloads: "all" }).message, /kuar:workloads: expected an object, got "all"/);
  });

  test("fails when a secret is stored in plain text, without echoing it", () => {
    const e = problems({ redisPassword: "hunter2" }, () => false);
    assert.match(
      e.message,
      /kuar:redisPassword: holds a secret but is stored in plain text, got "\(value hidden\)"\. Run: pulumi config set --secret kuar:redisPassword/,
    );
    assert.doesNotMatch(e.message, /hunter2/);
  });

  test("fails when several things are wrong, listing every problem at once", () => {
    const e = problems({ target: "local", ephemeral: 3, local: { nodes: -1, colour: "x" }, workload: {} });
    assert.equal(e.problems.length, 4, e.message);
    assert.match(e.message, /^kuar found 4 problems in the stack config; nothing was changed:/);
    for (const path of ["kuar:ephemeral", "kuar:local.nodes", "kuar:local.colour", "kuar:workload"]) {
      assert.ok(
        e.problems.some((p) => p.path === path),
        `missing ${path} in ${e.message}`,
      );
    }
  });

  test("fails with every problem carrying a fix", () => {
    const e = problems({ target: "x", local: { nodes: "three" }, ephemeral: "no" });
    for (const p of e.problems) assert.ok(p.fix.length > 10, `no fix for ${p.path}`);
  });
});
