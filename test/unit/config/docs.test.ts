/**
 * Every config key is documented: each key of each schema appears (in backticks) in the doc that
 * owns it. Adding a setting without documenting it fails here.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import type { z } from "zod";
import { schemaKeysAt } from "../../../config/errors.js";
import { secretKeysOf } from "../../../config/schema.js";
import { addonsSchema } from "../../../bootstrap/schema.js";
import { baseSchema, kuarSchema } from "../../../schema.js";
import { targets } from "../../../providers/registry.js";
import { workloadsSchema } from "../../../workloads/schema.js";

const root = join(import.meta.dirname, "..", "..", "..");

/** Every object key in a schema, recursively (through optional/default/array/record wrappers). */
export function schemaKeys(schema: z.ZodType, seen = new Set<z.ZodType>()): Set<string> {
  const keys = new Set<string>();
  const walk = (s: z.ZodType | undefined) => {
    if (!s || seen.has(s)) return;
    seen.add(s);
    const def = (s as unknown as { def: Record<string, unknown> & { type: string } }).def;
    if (def.type === "object") {
      for (const [k, v] of Object.entries((s as z.ZodObject).shape)) {
        keys.add(k);
        walk(v as z.ZodType);
      }
    }
    for (const inner of ["innerType", "in", "out", "element", "valueType"] as const) walk(def[inner] as z.ZodType);
    for (const o of (def["options"] as z.ZodType[] | undefined) ?? []) walk(o);
  };
  walk(schema);
  return keys;
}

/** Words inside `code spans` of a markdown file: `{ vpcId, privateSubnetIds }` documents both keys. */
function codeWords(path: string): Set<string> {
  const words = new Set<string>();
  for (const m of readFileSync(path, "utf8").matchAll(/`([^`\n]+)`/g)) {
    for (const w of m[1]!.split(/[^A-Za-z0-9_]+/)) if (w) words.add(w);
  }
  return words;
}

/** Shared shapes (taints, resources) are documented once in docs/configuration.md. */
function assertDocumented(schema: z.ZodType, doc: string) {
  const path = join(root, doc);
  assert.ok(existsSync(path), `${doc} is missing`);
  const words = new Set([...codeWords(path), ...codeWords(join(root, "docs", "configuration.md"))]);
  const missing = [...schemaKeys(schema)].filter((k) => !words.has(k));
  assert.deepEqual(missing, [], `keys not documented in ${doc}`);
}

test("every top-level kuar: key is documented in docs/configuration.md (targets in their guides)", () => {
  const names = new Set<string>(targets.map((t) => t.name));
  const top = Object.keys(baseSchema.shape).filter((k) => !names.has(k));
  const text = readFileSync(join(root, "docs", "configuration.md"), "utf8");
  assert.deepEqual(
    top.filter((k) => !text.includes(`kuar:${k}`)),
    [],
  );
});

test("docs/configuration.md points at the target guides rather than listing targets", () => {
  const text = readFileSync(join(root, "docs", "configuration.md"), "utf8");
  assert.match(text, /`kuar:<target>`/);
});

for (const t of targets) {
  test(`every kuar:${t.name} key is documented in docs/targets/${t.name}.md`, () => {
    assertDocumented(t.settings, join("docs", "targets", `${t.name}.md`));
  });
}

test("every kuar:addons key is documented in docs/addons.md", () => assertDocumented(addonsSchema, "docs/addons.md"));
test("every kuar:workloads key is documented in docs/workloads.md", () =>
  assertDocumented(workloadsSchema, "docs/workloads.md"));

describe("Pulumi.yaml documents the config as it is", () => {
  const text = readFileSync(join(root, "Pulumi.yaml"), "utf8");
  const project = parse(text) as { config: Record<string, { type: string; default?: unknown }> };
  const targetNames = new Set<string>(targets.map((t) => t.name));
  const top = Object.keys(baseSchema.shape).filter((k) => !targetNames.has(k));
  /** `#   kuar:<key>: text` lines of the comment block. */
  const commented = [...text.matchAll(/^#\s+kuar:([A-Za-z0-9<>]+): (.*)$/gm)].map((m) => ({ key: m[1]!, text: m[2]! }));

  test("every kuar: key it names exists in the schema", () => {
    const named = [...text.matchAll(/kuar:([A-Za-z0-9]+)/g)].map((m) => m[1]!);
    assert.deepEqual(
      named.filter((k) => !(k in baseSchema.shape)),
      [],
    );
  });

  test("every top-level key is declared or commented, and targets share one generic line", () => {
    const documented = new Set([
      ...Object.keys(project.config).map((k) => k.replace(/^kuar:/, "")),
      ...commented.map((c) => c.key),
    ]);
    assert.deepEqual(
      top.filter((k) => !documented.has(k)),
      [],
    );
    assert.ok(documented.has("<target>"), "kuar:<target> line");
  });

  test("a key list in parentheses is exactly the section's keys, and every kuar:a.b path exists", () => {
    for (const c of commented) {
      const list = /\(([A-Za-z]+(?:, [A-Za-z]+)+)\)/.exec(c.text)?.[1];
      if (!list) continue;
      const section = baseSchema.shape[c.key as keyof typeof baseSchema.shape] as z.ZodType | undefined;
      assert.ok(section, `kuar:${c.key} is a section`);
      assert.deepEqual(list.split(", ").sort(), schemaKeysAt(section, []).sort(), `kuar:${c.key}`);
    }
    // Sections are named by example paths rather than lists, so adding an add-on or app leaves this file alone.
    const paths = [...text.matchAll(/kuar:([A-Za-z0-9]+)\.([A-Za-z0-9]+)/g)];
    assert.ok(paths.length >= 2);
    for (const [whole, top, key] of paths) {
      const section = baseSchema.shape[top as keyof typeof baseSchema.shape] as z.ZodType | undefined;
      assert.ok(section && schemaKeysAt(section, []).includes(key!), `${whole} exists`);
    }
  });

  test("secret keys are marked secret, and declared keys have the schema's type and default", () => {
    for (const k of secretKeysOf(kuarSchema)) {
      assert.match(commented.find((c) => c.key === k)?.text ?? "", /\(secret\)/, `kuar:${k}`);
    }
    for (const [k, decl] of Object.entries(project.config)) {
      const key = k.replace(/^kuar:/, "");
      const field = baseSchema.shape[key as keyof typeof baseSchema.shape] as z.ZodType;
      const parsed = field.parse(undefined);
      assert.equal(typeof parsed, decl.type, k);
      assert.equal(parsed, decl.default, k);
    }
  });

  test("every doc it points at exists", () => {
    for (const m of text.matchAll(/docs\/[A-Za-z/.-]+\.md/g)) assert.ok(existsSync(join(root, m[0])), m[0]);
  });
});
