/**
 * What the docs quote must be what the code says: configuration.md's example error is produced
 * from its example stack file by the real schema, every error footer points at a file that
 * exists, and README's numbers (test files) match the tree. (README's resource count of the
 * quick start is checked against `kuar plan` in plan.test.ts.)
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { ConfigError } from "../../../config/errors.js";
import { parseConfig } from "../../../config/load.js";
import { root } from "../../../cli/engine.js";

const read = (p: string) => readFileSync(join(root, p), "utf8");

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? testFiles(p) : e.endsWith(".test.ts") ? [p] : [];
  });
}

describe("docs quote the code", () => {
  test("fails when configuration.md's example error is not what the schema prints for its example file", () => {
    const md = read("docs/configuration.md");
    const m = /```yaml\n([\s\S]*?)```\s*\n\s*stops `kuar up`[^\n]*\n\s*```\n([\s\S]*?)```/.exec(md);
    assert.ok(m, "configuration.md has the example stack file followed by its error");
    const doc = parse(m[1]!) as { config: Record<string, unknown> };
    const raw = Object.fromEntries(
      Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    let message = "";
    try {
      parseConfig(raw);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      message = e.message;
    }
    assert.equal(m[2]!.trim(), message.trim());
  });

  test("fails when an error footer or fix names a file that does not exist", () => {
    const sources = ["config/errors.ts", "config/load.ts"].map(read).join("\n");
    const named = [...sources.matchAll(/(?:see|See)[^"`\n]*?((?:docs\/)?[\w./-]+\.md)/g)].map((x) => x[1]!);
    // Fixes name real config paths now; any doc a message still points at must exist.
    for (const f of named) assert.ok(existsSync(join(root, f)), `${f} exists`);
    assert.doesNotMatch(sources, /configuration reference in README\.md/);
  });

  test("fails when README's count of test files is not the tree's", () => {
    const m = /unit tier \((\d+) test files/.exec(read("README.md"));
    assert.ok(m, "README states the unit and ssh tiers' test files");
    const n = testFiles(join(root, "test", "unit")).length + testFiles(join(root, "test", "ssh")).length;
    assert.equal(Number(m[1]), n);
  });
});
