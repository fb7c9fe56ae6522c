/**
 * Every field of the composed schema, given a bad value, yields problems whose fix names a real
 * config path: each `pulumi config set --path '<p>'` in a fix must resolve to a field of the schema
 * (so following it never creates an unknown key), a field's own problem points at that field, and
 * no field reports two different bounds for one value.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, type ConfigProblem } from "../../../config/errors.js";
import { parseObject } from "../../../schema.js";
import { allFields, resolve, setIn, type Field } from "./walk.js";

const GENERIC = /configuration reference|allowed shapes|fit the bound/i;
const SET = /pulumi config set(?: --secret)? --path '([^']+)'/g;

function problemsFor(input: Record<string, unknown>): ConfigProblem[] {
  try {
    parseObject(input);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
}

function configPathOf(f: Field): string {
  const full = f.section ? [f.section, ...f.path] : f.path;
  return full.reduce<string>(
    (acc, k, i) => (typeof k === "number" ? `${acc}[${k}]` : i === 0 ? `kuar:${k}` : `${acc}.${k}`),
    "",
  );
}

/** Values of the wrong type (or out of range) for a field of this type. */
function badValues(type: string): unknown[] {
  switch (type) {
    case "string":
      return [12345, "\u0000 not valid \u0000"];
    case "number":
      return ["not-a-number", -1e20, 1e20, 0.5];
    case "boolean":
      return ["maybe"];
    case "enum":
    case "literal":
      return ["zzz-not-an-option"];
    case "record":
      return ["not-a-structure", { "bad key!": "x" }];
    case "object":
    case "array":
      return ["not-a-structure"];
    default:
      return [12345];
  }
}

const fields = allFields();

test("the walk reaches every section and a few hundred fields", () => {
  const sections = new Set(fields.map((f) => f.section));
  assert.ok(fields.length > 200, `only ${fields.length} fields`);
  for (const s of ["", "local", "gke", "aks", "eks", "raspberrypi"]) assert.ok(sections.has(s), `section ${s}`);
});

test("fails with a fix naming a real config path, for every field of every section", () => {
  const bad: string[] = [];
  let checked = 0;
  for (const f of fields) {
    const at = configPathOf(f);
    for (const value of badValues(f.type)) {
      const input = (
        f.section ? { target: f.section, [f.section]: setIn(f.path, value) } : setIn(f.path, value)
      ) as Record<string, unknown>;
      const problems = problemsFor(input);
      for (const p of problems) {
        checked++;
        const where = `${at} = ${JSON.stringify(value)} -> ${p.path}: ${p.message}. ${p.fix}`;
        if (!p.message.startsWith("is not a setting") && resolve(p.path).length === 0)
          bad.push(`path not in schema: ${where}`);
        if (GENERIC.test(p.fix)) bad.push(`generic fix: ${where}`);
        if (p.fix.trim().length < 10) bad.push(`no fix: ${where}`);
        for (const m of p.fix.matchAll(SET)) {
          if (resolve(m[1]!).length === 0) bad.push(`fix names a path that does not exist: ${where}`);
          if (p.path === at && !m[1]!.startsWith(at)) bad.push(`fix names another field: ${where}`);
        }
      }
      const bounds = new Set(
        problems
          .filter((p) => p.path === at && /^must (be|have) (at least|at most|more|less)/.test(p.message))
          .map((p) => p.message),
      );
      if (bounds.size > 1)
        bad.push(`two bounds for one value: ${at} = ${JSON.stringify(value)}: ${[...bounds].join(" / ")}`);
    }
  }
  assert.ok(checked > 500, `only ${checked} problems checked`);
  assert.deepEqual(bad, []);
});
