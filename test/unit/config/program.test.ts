/** The whole program under mocks: bad config registers nothing; good config flows through the layers. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";

const mocks = await useMocks({
  stack: "broken",
  config: {
    "kuar:target": "local",
    "kuar:local": JSON.stringify({ nodes: 0, extra: true }),
    "kuar:ephemeral": "maybe",
  },
});

test("fails when the stack config is invalid, before any resource is registered", async () => {
  await assert.rejects(import("../../../index.js"), (e: Error) => {
    assert.equal(e.name, "ConfigError");
    assert.match(e.message, /kuar found 3 problems/);
    assert.match(e.message, /kuar:local\.nodes: must be at least 1, got 0/);
    assert.match(e.message, /kuar:local\.extra: is not a setting kuar knows/);
    assert.match(e.message, /kuar:ephemeral: expected a boolean, got "maybe"/);
    return true;
  });
  await mocks.settle();
  assert.deepEqual(mocks.resources, [], "no resource may be registered when config is invalid");
});
