/**
 * The workload registry keeps a new workload to three files: its component (with its definition),
 * its schema section with one registry entry (schema.ts), and its section in docs/workloads.md.
 * Checked over the source: index.ts imports no workload and names none, and every definition has
 * its section, its docs heading and the secrets it reads.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { z } from "zod";
import { secretKeysOf } from "../../../config/schema.js";
import { kuarSchema } from "../../../schema.js";

const secretKeys = secretKeysOf(kuarSchema);
import { workloadRegistry, workloadsSchema } from "../../../workloads/schema.js";
import { code, files, imports, literals, root } from "../source.js";

const registry = workloadRegistry();
const keys: string[] = registry.map((w) => w.key);
const components = files("workloads").filter((f) => /:\s*WorkloadDefinition<[^>]*>\s*=/.test(code(f)));

test("every workload's definition lives in its own component file, and the registry lists each once", () => {
  assert.equal(components.length, registry.length, components.join(", "));
  assert.equal(new Set(keys).size, keys.length, keys.join(", "));
});

test("index.ts imports no workload's component and names no workload", () => {
  const f = "workloads/index.ts";
  assert.deepEqual(
    imports(f).filter((to) => components.includes(to.replace(/\.js$/, ".ts"))),
    [],
  );
  assert.deepEqual(
    literals(f).filter((l) => keys.includes(l)),
    [],
  );
  assert.deepEqual(
    [...code(f).matchAll(/\bconfig\??\.(\w+)/g)].map((m) => m[1]!).filter((k) => keys.includes(k)),
    [],
  );
});

test("every workload has its schema section, and every section has its workload", () => {
  assert.deepEqual(Object.keys(workloadsSchema.shape), keys, "the registry follows the schema's order");
});

test("every workload reads the secrets its schema section offers, and each is a declared secret key", () => {
  for (const w of registry) {
    const offered = ((workloadsSchema.shape[w.key] as z.ZodType).meta()?.["secrets"] ?? []) as string[];
    const reads = w.secrets ?? [];
    assert.deepEqual(
      offered.filter((k) => !reads.includes(k)),
      [],
      `${w.key}: the wizard asks for secrets the workload never receives`,
    );
    assert.deepEqual(
      reads.filter((k) => !secretKeys.includes(k)),
      [],
      `${w.key}: secrets must be secret keys of the composed schema (schema.ts layerSecretKeys)`,
    );
  }
});

test("every workload has its section in docs/workloads.md", () => {
  const doc = readFileSync(join(root, "docs", "workloads.md"), "utf8");
  assert.deepEqual(
    keys.filter((k) => !doc.includes(`\n### \`${k}\`\n`)),
    [],
  );
});
