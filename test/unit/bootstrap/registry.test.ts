/**
 * The add-on registry keeps a new add-on to three files: its component (with its definition), its
 * schema section with one registry entry (schema.ts), and its row in docs/addons.md. Checked over
 * the source: plan.ts and index.ts import no add-on and name none, and every definition has its
 * section, its docs row and only dependencies that install before it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { addonRegistry, addonsSchema } from "../../../bootstrap/schema.js";
import { secretKeysOf } from "../../../config/schema.js";
import { kuarSchema } from "../../../schema.js";

const secretKeys = secretKeysOf(kuarSchema);
import { planParts } from "../../../bootstrap/plan.js";
import { code, files, imports, literals, root } from "../source.js";

const registry = addonRegistry();
const ids = planParts().map((p) => p.id);
const sections = registry.map((d) => d.section);
/** Files that define an add-on: they export an AddonDefinition. */
const components = files("bootstrap").filter((f) => /:\s*AddonDefinition\s*=/.test(code(f)));

test("every add-on's definition lives in its own component file, and the registry lists each once", () => {
  assert.equal(components.length, registry.length, components.join(", "));
  assert.equal(new Set(ids).size, ids.length, `ids are unique: ${ids.join(", ")}`);
  assert.equal(new Set(sections).size, sections.length, `one definition per section: ${sections.join(", ")}`);
});

test("plan.ts and index.ts import no add-on's component and name no add-on", () => {
  for (const f of ["bootstrap/plan.ts", "bootstrap/index.ts"]) {
    const reached = imports(f).filter((to) => components.includes(to.replace(/\.js$/, ".ts")));
    assert.deepEqual(reached, [], `${f} imports no add-on component`);
    const named = literals(f).filter((l) => ids.includes(l) || sections.includes(l as never));
    assert.deepEqual(named, [], `${f} names no add-on id or section`);
    const reads = [...code(f).matchAll(/\b(?:addons|a)\??\.(\w+)/g)].map((m) => m[1]!);
    assert.deepEqual(
      reads.filter((k) => sections.includes(k as never)),
      [],
      `${f} reads no add-on's settings`,
    );
  }
});

test("every add-on has its schema section, and every section with an enabled switch has its add-on", () => {
  const shape = addonsSchema.shape as Record<string, unknown>;
  for (const s of sections) assert.ok(s in shape, `kuar:addons.${s} exists`);
  const defaults = addonsSchema.parse({}) as Record<string, unknown>;
  const switched = Object.entries(defaults)
    .filter(([, v]) => typeof v === "object" && v !== null && "enabled" in v)
    .map(([k]) => k);
  assert.deepEqual(
    switched.filter((s) => !sections.includes(s as never)),
    [],
    "sections nothing installs",
  );
});

test("every add-on id has its row in docs/addons.md", () => {
  const doc = readFileSync(join(root, "docs", "addons.md"), "utf8");
  assert.deepEqual(
    ids.filter((id) => !new RegExp(`^\\|[^|\\n]*\\(\`${id}\`\\)`, "m").test(doc)),
    [],
    "ids without a row in the table 'What is installed, per capability'",
  );
});

test("each add-on waits only for add-ons the registry installs before it", () => {
  const late = planParts().flatMap((p, i) =>
    p.waitsFor.filter((dep) => !ids.slice(0, i).includes(dep)).map((dep) => `${p.id} -> ${dep}`),
  );
  assert.deepEqual(late, []);
});

test("every secret an add-on reads is a declared secret key, so it stays a Pulumi secret", () => {
  const undeclared = registry.flatMap((d) =>
    (d.secrets ?? []).filter((k) => !secretKeys.includes(k)).map((k) => `${d.id}: ${k}`),
  );
  assert.deepEqual(undeclared, []);
});
