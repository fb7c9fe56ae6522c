/** `kuar doctor`: the wizard's preflight on an existing stack file, with injected probes (nothing real is contacted). */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { doctor, stackObject } from "../../../cli/doctor.js";
import { createUi } from "../../../cli/ui.js";
import type { PreflightDeps } from "../../../wizard/preflight.js";

const dir = mkdtempSync(join(tmpdir(), "kuar-doctor-"));
function capture() {
  let out = "";
  const sink = { write: (s: string) => ((out += s), true), isTTY: false };
  return { ui: createUi({ stdout: sink, stderr: sink, env: {} }), text: () => out };
}
const deps = (over: Partial<PreflightDeps> = {}): PreflightDeps => ({
  probe: async () => ({ code: 0, stdout: "{}", stderr: "", timedOut: false, missing: false }),
  which: () => true,
  exists: () => false,
  env: {},
  home: "/home/u",
  ...over,
});

describe("kuar doctor", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("runs the target's preflight on the stack file and fails on a failed check", async () => {
    const file = join(dir, "Pulumi.g.yaml");
    writeFileSync(file, "config:\n  kuar:target: gke\n  kuar:gke:\n    project: p-123456\n    region: europe-west1\n");
    const c = capture();
    const code = await doctor(c.ui, "g", deps(), file);
    assert.equal(code, 1);
    assert.match(c.text(), /PASS {2}config {2}.* is valid \(target gke\)/);
    assert.match(c.text(), /FAIL {2}Google credentials +no application default credentials/);
    assert.match(c.text(), /preflight: 2 passed, 0 warnings, 1 failed/);
  });

  test("fails when the stack config is invalid: the schema's problems, exit 1", async () => {
    const file = join(dir, "Pulumi.bad.yaml");
    writeFileSync(file, "config:\n  kuar:target: local\n  kuar:local:\n    nodes: 0\n");
    const c = capture();
    assert.equal(await doctor(c.ui, "bad", deps({ toolchainReady: () => true }), file), 1);
    assert.match(c.text(), /kuar:local\.nodes: must be at least 1, got 0/);
  });

  test("reads the stack file's kuar keys as the wizard's config", () => {
    assert.deepEqual(stackObject({ "kuar:target": "local", "kuar:local": '{"nodes":2}', "gcp:project": "x" }), {
      target: "local",
      local: { nodes: 2 },
    });
  });
});
