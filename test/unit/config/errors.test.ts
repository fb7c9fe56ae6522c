/**
 * The error mechanism itself: fixes name the full config path, zod's built-in checks keep a
 * field's own fix, cross-field checks still run when a field has the wrong type, and one value
 * never yields two bounds.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { ConfigError } from "../../../config/errors.js";
import { parseObjectWith } from "../../../config/load.js";
import { secretField, withFix } from "../../../config/toolkit.js";
import { parseObject } from "../../../schema.js";

function problems(input: Record<string, unknown>): ConfigError {
  try {
    parseObject(input);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail(`config was accepted: ${JSON.stringify(input)}`);
}

const at = (e: ConfigError, path: string) => e.problems.filter((p) => p.path === path);

describe("config errors", () => {
  test("fails when a target setting has the wrong type, with a fix naming kuar:gke.project", () => {
    const [p] = at(problems({ target: "gke", gke: { project: 12345, region: "europe-west1" } }), "kuar:gke.project");
    assert.ok(p);
    assert.match(p.fix, /pulumi config set --path 'kuar:gke\.project' /);
  });

  test("fails when a nested setting has the wrong type, with a fix naming its whole path", () => {
    const e = problems({ target: "local", local: { nodes: "three" } });
    assert.match(at(e, "kuar:local.nodes")[0]!.fix, /--path 'kuar:local\.nodes' <integer from 1 to 50>/);
  });

  test("fails when expiresAt is not an ISO time, with its own fix rather than a generic pointer", () => {
    const [p] = at(problems({ expiresAt: "tomorrow" }), "kuar:expiresAt");
    assert.match(p!.message, /ISO 8601 time/);
    assert.match(p!.fix, /2026-12-01T18:00:00Z/);
    assert.doesNotMatch(p!.fix, /reference/);
  });

  test("fails when a taint key is empty, keeping the field's fix on zod's .min()", () => {
    const e = problems({
      target: "gke",
      gke: {
        project: "my-project-1",
        region: "europe-west1",
        systemPool: { taints: [{ key: "", effect: "NoSchedule" }] },
      },
    });
    const [p] = at(e, "kuar:gke.systemPool.taints[0].key");
    assert.match(p!.fix, /Give the taint a key/);
  });

  test("fails when a label key is malformed, naming what a label key is", () => {
    const e = problems({
      target: "gke",
      gke: { project: "my-project-1", region: "europe-west1", systemPool: { labels: { "bad key!": "x" } } },
    });
    const p = e.problems.find((q) => q.path.startsWith("kuar:gke.systemPool.labels"));
    assert.match(p!.message, /Kubernetes label key/);
    assert.doesNotMatch(p!.fix, /reference/);
  });

  test("fails when one field has the wrong type and a cross-field check fails too, listing both at once", () => {
    const e = problems({
      target: "gke",
      gke: {
        project: "my-project-1",
        region: "europe-west1",
        workloadPools: [{ name: "apps", maxNodes: "many" }],
        systemPool: { minNodes: 7, maxNodes: 2 },
      },
    });
    assert.equal(at(e, "kuar:gke.workloadPools[0].maxNodes").length, 1, e.message);
    assert.match(at(e, "kuar:gke.systemPool.minNodes")[0]?.message ?? "", /must not exceed maxNodes \(2\)/, e.message);
  });

  test("fails without inventing a problem from the placeholder of a field that failed", () => {
    const e = problems({
      target: "gke",
      gke: {
        project: "my-project-1",
        region: "europe-west1",
        workloadPools: [{ name: "apps", minNodes: 5, maxNodes: "many" }],
      },
    });
    assert.deepEqual(at(e, "kuar:gke.workloadPools[0].minNodes"), [], e.message);
  });

  test("fails when a value is beyond the safe-integer range with one bound, not two", () => {
    for (const nodes of [1e20, -1e20]) {
      const e = problems({ local: { nodes } });
      assert.equal(e.problems.length, 1, e.message);
      assert.match(e.problems[0]!.message, nodes > 0 ? /^must be at most 50$/ : /^must be at least 1$/);
    }
  });

  test("fails when a value breaks a field's bound and its domain check, with the domain check only", () => {
    const e = problems({ target: "aks", aks: { location: "westeurope", systemPool: { minCount: -1 } } });
    const ps = at(e, "kuar:aks.systemPool.minCount");
    assert.equal(ps.length, 1, e.message);
    assert.match(ps[0]!.message, /^must be at least 1 \(.*need a system node\)$/);
  });

  test("fails when a secret field is stored in plain text, without echoing it", () => {
    const schema = {
      base: z.strictObject({ target: z.enum(["demo"]).default("demo"), demo: z.unknown().optional() }),
      targets: [{ name: "demo", settings: z.strictObject({ token: secretField(z.string()).optional() }) }],
      defaultTarget: "demo",
    };
    const input = { demo: { token: "hunter2" } };
    assert.doesNotThrow(() => parseObjectWith(schema, input, { isSecret: (k) => k === "demo" }));
    try {
      parseObjectWith(schema, input, { isSecret: () => false });
      assert.fail("accepted");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /kuar:demo\.token: holds a secret but is stored in plain text/);
      assert.match(e.message, /pulumi config set --secret --path 'kuar:demo\.token'/);
      assert.doesNotMatch(e.message, /hunter2/);
    }
  });

  test("fails with a field's withFix text on every built-in check of that field", () => {
    const schema = {
      base: z.strictObject({ target: z.enum(["demo"]).default("demo"), demo: z.unknown().optional() }),
      targets: [
        {
          name: "demo",
          settings: z.strictObject({
            id: withFix(
              z
                .string()
                .regex(/^[a-z]+$/)
                .max(5),
              "Use a short id.",
            ),
          }),
        },
      ],
      defaultTarget: "demo",
    };
    for (const id of ["ABC", "abcdefgh", 7]) {
      assert.throws(
        () => parseObjectWith(schema, { demo: { id } }),
        (e: ConfigError) => e.problems.every((p) => p.fix === "Use a short id."),
      );
    }
  });
});
