import assert from "node:assert/strict";
import { test } from "node:test";
import { TABLE_HEADER, median, tableRow, unwrapSecrets } from "../../../scripts/lib/bench-kit.js";

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

test("a table row gives medians, ratios of the medians and each side's range, under a header of as many columns", () => {
  const row = tableRow("no-op up", [3.41, 5.26, 3.38], [3.96, 4.1, 3.9], [0.56, 0.7, 0.5]);
  assert.equal(row, "| no-op up | 3.41 | 3.96 | 0.56 | 0.86x | 6.1x | 3.38-5.26, 3.90-4.10, 0.50-0.70 |");
  const columns = (line: string) => line.split("|").length;
  for (const line of TABLE_HEADER) assert.equal(columns(line), columns(row), line);
});
