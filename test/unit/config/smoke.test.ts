import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../../../config/load.js";

test("defaults to the local target", () => {
  const c = parseConfig({});
  assert.equal(c.target, "local");
  assert.deepEqual(c.settings, { nodes: 3 });
});
