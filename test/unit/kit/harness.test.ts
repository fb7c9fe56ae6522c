import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { projectRoot } from "../../../scripts/lib/build-program.mjs";
import { THROWAWAY_PREFIXES, createStack } from "../../../kit/e2e/harness.js";

/** True when git ignores `path` (relative to the project root). */
function ignored(path: string): boolean {
  const r = spawnSync("git", ["check-ignore", "--no-index", "-q", path], { cwd: projectRoot });
  assert.ok(r.status === 0 || r.status === 1, `git check-ignore failed: ${String(r.stderr)}`);
  return r.status === 0;
}

test("every throwaway stack's file is git-ignored, and a committed stack file is not", () => {
  for (const prefix of THROWAWAY_PREFIXES) {
    assert.ok(ignored(`stacks/Pulumi.${prefix}-0a1b2c.yaml`), `${prefix}-<id>`);
    assert.ok(ignored(`stacks/Pulumi.${prefix}-real-0a1b2c.yaml`), `${prefix}-real-<id>`);
  }
  assert.equal(ignored("stacks/Pulumi.local.yaml"), false);
  assert.equal(ignored("stacks/Pulumi.homelab.yaml"), false);
});

test("a stack prefix .gitignore does not cover is refused before any file or stack is made", () => {
  assert.throws(
    () => createStack({ target: "local" }, "prof"),
    /stack prefix "prof" is not git-ignored: start it with one of e2e, ci, bench \(kit\/e2e\/harness\.ts THROWAWAY_PREFIXES, and \.gitignore\)/,
  );
  assert.throws(() => createStack({ target: "local" }, "benchmark"), /not git-ignored/, "a prefix is a whole word");
});
