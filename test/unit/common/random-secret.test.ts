import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks, secretOf } from "../../../kit/mocks.js";

const mocks = await useMocks();
const { RandomSecret, secretOrGenerated } = await import("../../../common/random-secret.js");
const { provider, randomString } = await import("../../../common/random-secret.provider.js");

test("randomString has the asked length and alphabet, and differs between calls", () => {
  const a = randomString(40, "alnum");
  const b = randomString(40, "alnum");
  assert.equal(a.length, 40);
  assert.match(a, /^[A-Za-z0-9]{40}$/);
  assert.notEqual(a, b);
  assert.match(randomString(16, "hex"), /^[0-9a-f]{16}$/);
});

test("the provider keeps the value unless length or alphabet change", async () => {
  const same = await provider.diff!("id", { length: 32, alphabet: "alnum" }, { length: 32, alphabet: "alnum" });
  assert.equal(same.changes, false);
  const longer = await provider.diff!("id", { length: 32, alphabet: "alnum" }, { length: 48, alphabet: "alnum" });
  assert.deepEqual(longer.replaces, ["length"]);
  const created = await provider.create({ length: 24, alphabet: "hex" });
  assert.match(created.outs.value, /^[0-9a-f]{24}$/);
});

test("RandomSecret output is a secret and its provider is serialized by path, not by closure", async () => {
  const s = new RandomSecret("db", { length: 20 });
  const { value, secret } = await secretOf(s.value);
  assert.equal(secret, true);
  assert.equal(value, "generated-db");
  const rec = mocks.resources.find((r) => r.name === "db")!;
  assert.equal(rec.inputs["length"], 20);
  assert.match(rec.inputs["__provider"], /common\/random-secret\.provider\.ts/);
});

test("a supplied secret wins over generation and stays secret", async () => {
  const pulumi = await import("@pulumi/pulumi");
  const before = mocks.resources.length;
  const out = secretOrGenerated("x", pulumi.output("given"), {}, {});
  const { value, secret } = await secretOf(out);
  assert.equal(value, "given");
  assert.equal(secret, true);
  await mocks.settle();
  assert.equal(mocks.resources.length, before, "no RandomSecret registered when one is supplied");
});
