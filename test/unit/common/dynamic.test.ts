import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";

const mocks = await useMocks();
const { moduleProvider } = await import("../../../common/dynamic.js");
const { RandomSecret } = await import("../../../common/random-secret.js");
const require = createRequire(import.meta.url);
// What Pulumi's dynamic provider host (@pulumi/pulumi cmd/dynamic-provider) loads __provider with.
const requireFromString = createRequire(require.resolve("@pulumi/pulumi"))("require-from-string") as (code: string) => {
  handler(): Record<string, (...args: unknown[]) => Promise<Record<string, unknown>>>;
};

test("the provider text runs in the host's loader and forwards each method to the module", async () => {
  const p = moduleProvider("common/random-secret.provider.ts", ["create", "diff"]);
  const provider = requireFromString(p.text).handler();
  assert.deepEqual(Object.keys(provider), ["create", "diff"]);
  const diff = await provider["diff"]!("id", { length: 32, alphabet: "alnum" }, { length: 48, alphabet: "alnum" });
  assert.deepEqual(diff["replaces"], ["length"]);
  const created = await provider["create"]!({ length: 12, alphabet: "hex" });
  assert.match((created["outs"] as { value: string }).value, /^[0-9a-f]{12}$/);
  // The module runs compiled ahead of time: no TypeScript loader in the host.
  assert.doesNotMatch(p.text, /tsx/);
  assert.match(p.text, /buildProgram\(\["common\/random-secret\.provider\.ts"\]\)/);
});

test("a module resource registers as a dynamic resource without Pulumi's closure serializer", async () => {
  new RandomSecret("s", { length: 8 });
  await mocks.settle();
  const rec = mocks.resources.find((r) => r.name === "s")!;
  assert.equal(rec.type, "pulumi-nodejs:dynamic/kuar:RandomSecret");
  assert.match(rec.inputs["__provider"], /exports\.handler = /);
  // Serializing a closure loads runtime/closure/v8.js (the inspector session): seconds per run.
  // (v8Hooks.js may be in the cache as the preload's stand-in, which opens no session.)
  const loaded = Object.keys(require.cache).filter((k) => /[/]runtime[/]closure[/]v8\.js$/.test(k));
  assert.deepEqual(loaded, [], "the closure serializer ran");
});

test("fails when the props already carry __provider", async () => {
  const { ModuleResource } = await import("../../../common/dynamic.js");
  const p = moduleProvider("common/random-secret.provider.ts", ["create"]);
  assert.throws(
    () => new ModuleResource(p, "x", { __provider: "y" }, {}, "kuar", "X"),
    /must not define the __provider/,
  );
});
