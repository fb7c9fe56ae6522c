import assert from "node:assert/strict";
import { test } from "node:test";
import { rollBackCreate } from "../../../providers/local/control-plane.provider.js";

function fakes() {
  const calls: string[] = [];
  return {
    calls,
    controlPlane: { delete: async () => void calls.push("delete control plane") },
    realNodes: {
      saveLogs: async (dir: string) => void calls.push(`save logs ${dir}`),
      remove: async () => void calls.push("remove real nodes"),
    },
  };
}

test("a failed create takes down the real nodes (logs kept first), then the control plane it made, and says so", async () => {
  const f = fakes();
  const err = await rollBackCreate(new Error("timed out waiting for node x"), f, "/logs/c");
  assert.deepEqual(f.calls, ["save logs /logs/c", "remove real nodes", "delete control plane"]);
  assert.match(err.message, /^timed out waiting for node x\. Rolled back the real nodes and control plane/);
  assert.match(err.message, /their logs are in \/logs\/c/);
});

test("a failed create leaves alone what it did not make (a control plane that already existed)", async () => {
  const f = fakes();
  const err = await rollBackCreate(new Error("boom"), {}, "/logs/c");
  assert.deepEqual(f.calls, []);
  assert.equal(err.message, "boom.");
});

test("a rollback step that fails is reported with the original error, and the other steps still run", async () => {
  const f = fakes();
  const realNodes = { ...f.realNodes, remove: async () => Promise.reject(new Error("umount busy")) };
  const err = await rollBackCreate(new Error("boom"), { controlPlane: f.controlPlane, realNodes }, "/l");
  assert.ok(f.calls.includes("delete control plane"));
  assert.match(err.message, /^boom\..*removing the real nodes failed: Error: umount busy/);
});
