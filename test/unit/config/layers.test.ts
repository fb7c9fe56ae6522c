/**
 * Dependency direction: config/ holds the machinery and knows none of the layers whose sections it
 * validates (providers/, bootstrap/, workloads/); the root schema.ts composes them.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..", "..");

/** Relative imports of every .ts file under `dir` (or of one file), as repository paths. */
function imports(dir: string): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  const names = dir.endsWith(".ts") ? [""] : (readdirSync(join(root, dir), { recursive: true }) as string[]);
  for (const name of names) {
    const file = join(root, dir, name);
    if (!file.endsWith(".ts")) continue;
    for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)) {
      out.push({ from: relative(root, file), to: relative(root, resolve(dirname(file), m[1]!)) });
    }
  }
  return out;
}

test("config/ imports nothing from providers/, bootstrap/ or workloads/", () => {
  const bad = imports("config").filter((i) => /^(providers|bootstrap|workloads)\//.test(i.to));
  assert.deepEqual(bad, []);
});

test("config/ reaches outside itself only through the deprecated forwarders to the root schema", () => {
  // load.ts forwards parseConfig/parseObject to schema.ts until every caller imports them from there.
  const outside = imports("config").filter((i) => !i.to.startsWith("config/"));
  assert.deepEqual(outside, [{ from: "config/load.ts", to: "schema.js" }]);
});

test("the root schema composes every layer's section", () => {
  const tos = new Set(
    imports(".")
      .filter((i) => i.from === "schema.ts")
      .map((i) => i.to),
  );
  for (const t of ["providers/registry.js", "bootstrap/schema.js", "workloads/schema.js"]) assert.ok(tos.has(t), t);
});
