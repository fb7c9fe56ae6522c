import assert from "node:assert/strict";
import { test } from "node:test";
import { median, unwrapSecrets } from "../../../scripts/lib/bench-kit.js";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(value) });

test("unwrapSecrets replaces every decrypted secret envelope by its value, at any depth", () => {
  const exported = {
    kind: "Secret",
    metadata: { name: "redis" },
    stringData: secret({ password: "p4ss" }),
    list: [secret("a"), "b", { inner: secret(3) }],
  };
  assert.deepEqual(unwrapSecrets(exported), {
    kind: "Secret",
    metadata: { name: "redis" },
    stringData: { password: "p4ss" },
    list: ["a", "b", { inner: 3 }],
  });
});

test("unwrapSecrets fails on a secret that was not decrypted", () => {
  assert.throws(
    () => unwrapSecrets({ data: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } }),
    /not decrypted \(export with --show-secrets\)/,
  );
});

test("median of odd and even counts", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /no samples/);
});
