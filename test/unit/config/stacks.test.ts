/** Every example stack in stacks/ validates, and every target has one. */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfig } from "../../../config/load.js";
import { stackFileConfig } from "../../../config/stack-file.js";
import { targetNames } from "../../../providers/registry.js";

const dir = join(import.meta.dirname, "..", "..", "..", "stacks");
const files = readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
const seen = new Set<string>();

for (const f of files) {
  test(`stacks/${f} validates`, () => {
    const { raw, secureKeys } = stackFileConfig(join(dir, f));
    const c = parseConfig(raw, { isSecret: (k) => secureKeys.includes(`kuar:${k}`) });
    seen.add(c.target);
  });
}

test("every target has an example stack", () => {
  assert.deepEqual([...seen].sort(), [...targetNames].sort(), `example stacks cover ${[...seen].join(", ")}`);
});
