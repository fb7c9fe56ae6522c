import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";

const hook = fileURLToPath(new URL("../../../common/lazy-require.cjs", import.meta.url));

/** Runs a CommonJS snippet in a fresh node, with or without the hook, and returns its stdout. */
function run(code: string, withHook: boolean): string {
  const args = withHook ? ["--require", hook, "-e", code] : ["-e", code];
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const loaded = `
  require("@pulumi/pulumi");
  const keys = Object.keys(require.cache);
  console.log(JSON.stringify({
    typescript: keys.some((k) => /[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(k) || /typescript@[^/]+[\\\\/]typescript\\.js$/.test(k)),
    arborist: keys.some((k) => k.includes("@npmcli/arborist")),
  }));`;

describe("common/lazy-require.cjs", () => {
  test("without the hook, importing @pulumi/pulumi loads TypeScript and arborist (what the hook exists for)", () => {
    assert.deepEqual(JSON.parse(run(loaded, false)), { typescript: true, arborist: true });
  });

  test("with the hook, importing @pulumi/pulumi loads neither", () => {
    assert.deepEqual(JSON.parse(run(loaded, true)), { typescript: false, arborist: false });
  });

  test("a closure still serializes with the hook: the deferred modules load on first use", () => {
    const out = run(
      `const pulumi = require("@pulumi/pulumi");
       const n = 41;
       pulumi.runtime.serializeFunction(() => n + 1).then((f) => {
         const m = {}; new Function("exports", "require", f.text)(m, require);
         console.log(m[f.exportName]());
       });`,
      true,
    );
    assert.equal(out, "42");
  });
});
