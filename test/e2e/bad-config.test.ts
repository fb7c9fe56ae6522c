/** Bad stack config through the real engine: every problem listed, no stack trace, nothing created. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, describe, test } from "node:test";
import { clusterDir } from "../../providers/local/kwok.js";
import { cannotRun, createStack, seconds, type E2eStack } from "../../kit/e2e/harness.js";

const reason = cannotRun();
if (reason) console.log(`# e2e tier not run: ${reason}`);

describe("bad config on the real engine", { skip: reason }, () => {
  let s: E2eStack | undefined;
  after(() => s?.remove());

  test("fails when the stack config is invalid: up lists every problem, shows no trace and creates nothing", () => {
    s = createStack({ target: "local", local: { nodes: 0 }, workload: {} }, "e2e-bad");
    const t = Date.now();
    const r = s.pulumi(["up", "--yes", "--non-interactive"]);
    const took = seconds(t);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /kuar found 2 problems in the stack config; nothing was changed:/);
    assert.match(r.stdout, /kuar:local\.nodes: must be at least 1, got 0\./);
    assert.match(r.stdout, /kuar:workload: is not a setting kuar knows, got \{\}\. Did you mean "workloads"\?/);
    assert.doesNotMatch(r.stdout, /unhandled exception|at parseObject/, "no stack trace for a config problem");
    assert.equal(existsSync(clusterDir(s.clusterName)), false, "no control plane was started");
    const resources = JSON.parse(s.pulumi(["stack", "export"]).stdout).deployment?.resources ?? [];
    assert.deepEqual(
      resources.filter((x: { type: string }) => x.type !== "pulumi:pulumi:Stack"),
      [],
      "nothing but the stack itself is recorded",
    );
    console.log(`# bad config reported in ${took}s`);
  });
});
