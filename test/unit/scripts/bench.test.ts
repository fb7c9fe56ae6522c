import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { TABLE_HEADER, busyShare, cpuTimes, median, tableRow, unwrapSecrets } from "../../../scripts/lib/bench-kit.js";

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

test("cpuTimes reads busy and total jiffies from /proc/stat, idle and iowait counting as not busy", () => {
  const stat = "cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1\n";
  assert.deepEqual(cpuTimes(stat), { busy: 160, total: 1000 });
  assert.throws(() => cpuTimes("intr 1 2 3\n"), /not a \/proc\/stat cpu line/);
});

test("busyShare is the busy part of the jiffies that passed between two readings", () => {
  assert.equal(busyShare({ busy: 160, total: 1000 }, { busy: 210, total: 1200 }), 0.25);
  assert.equal(busyShare({ busy: 1, total: 10 }, { busy: 1, total: 10 }), 0);
  // this machine's own /proc/stat parses into counters that only grow
  const a = cpuTimes(readFileSync("/proc/stat", "utf8"));
  const b = cpuTimes(readFileSync("/proc/stat", "utf8"));
  assert.ok(a.busy > 0 && a.total > a.busy && b.total >= a.total && b.busy >= a.busy);
});
