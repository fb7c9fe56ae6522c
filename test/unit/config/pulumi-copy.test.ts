/** Mocks patch one @pulumi/pulumi module instance; a second copy would silently escape them. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..", "..");

function findCopies(dir: string, depth = 0): string[] {
  if (depth > 8) return [];
  let out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (!statSync(p).isDirectory()) continue;
    if (p.endsWith(join("@pulumi", "pulumi"))) out.push(p);
    if (e === "node_modules" || e.startsWith("@") || depth > 0) out = out.concat(findCopies(p, depth + 1));
  }
  return out;
}

test("exactly one @pulumi/pulumi, pinned to 3.248.0", () => {
  const copies = findCopies(join(root, "node_modules"));
  assert.equal(copies.length, 1, `copies: ${copies.join(", ")}`);
  const pkg = JSON.parse(readFileSync(join(copies[0]!, "package.json"), "utf8"));
  assert.equal(pkg.version, "3.248.0");
  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.equal(own.dependencies["@pulumi/pulumi"], "3.248.0");
});
