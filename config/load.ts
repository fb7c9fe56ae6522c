/**
 * Reading and validating stack config against a composed schema (the repository root's schema.ts
 * composes it from the targets, add-ons and workloads). `parseObjectWith` is pure and tested
 * directly; `readStackConfigWith` feeds it from the Pulumi runtime. Both stop before any
 * resource exists, listing every problem at once.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import {
  BOUND_CODES,
  ConfigError,
  configPath,
  fieldLayers,
  problemFromIssue,
  typeOf,
  valueAt,
  type ConfigProblem,
  type Section,
} from "./errors.js";
import { secretKeysOf, type TargetSection } from "./schema.js";
import { isSecretField } from "./toolkit.js";
import * as root from "../schema.js";

export const NAMESPACE = "kuar";

/**
 * What the parser needs: the top-level schema and every target's settings schema. `C` is the
 * parsed config's type, stated once where the schema is composed.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface ComposedSchema<C = ParsedConfig> {
  base: z.ZodObject;
  targets: readonly TargetSection[];
  /** Secret config keys the add-ons and workloads read (each target lists its own). @default [] */
  secretKeys?: readonly string[];
  defaultTarget: string;
  /**
   * Checks that span sections (what the cluster will offer, predicted from the target's settings,
   * against the add-ons asked for; secrets the workloads need). They run with the section checks,
   * whatever those found, so every problem shows in one run; `settings` and `base` are undefined
   * when their section failed. `fields` are added to the parsed config.
   */
  crossChecks?: (c: CrossCheckInput) => { problems: ConfigProblem[]; fields?: Record<string, unknown> };
}

export interface CrossCheckInput {
  input: Record<string, unknown>;
  target: string;
  /** The chosen target's parsed settings, or undefined when they failed. */
  settings: unknown;
  /** The parsed top-level config, or undefined when it failed. */
  base: unknown;
  /** What the section checks found so far. */
  problems: readonly ConfigProblem[];
}

/** The parsed config: every top-level key but the targets' and the secrets', plus the chosen target's settings. */
export interface ParsedConfig {
  target: string;
  /** The chosen target's settings, parsed by its own schema. */
  settings: unknown;
  [key: string]: unknown;
}

export interface ParseOptions {
  /** Whether a `kuar:<key>` config value is stored encrypted. */
  isSecret?: (key: string) => boolean;
}

/**
 * Parses the flat `namespace:key -> string` map Pulumi hands a program. Values that are JSON
 * (objects, arrays, numbers, booleans) are decoded the way `Config.getObject` would.
 */
export function parseConfigWith<C>(schema: ComposedSchema<C>, raw: Record<string, string>, opts: ParseOptions = {}): C {
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const [ns, ...rest] = k.split(":");
    if (ns !== NAMESPACE || rest.length === 0) continue;
    input[rest.join(":")] = decode(v);
  }
  return parseObjectWith(schema, input, opts);
}

export function parseObjectWith<C>(
  schema: ComposedSchema<C>,
  input: Record<string, unknown>,
  opts: ParseOptions = {},
): C {
  const base = checkSection({ schema: schema.base, prefix: [] }, input);
  const problems = [...base.problems];

  // The chosen target's settings are checked even when the base failed, so one run lists everything.
  const targetName = base.data ? (base.data as { target: string }).target : (input["target"] ?? schema.defaultTarget);
  const target = schema.targets.find((t) => t.name === targetName);
  let settings: unknown;
  if (target) {
    const own = checkSection({ schema: target.settings, prefix: [target.name] }, input[target.name] ?? {});
    problems.push(...own.problems);
    settings = own.data;
  }

  const secretKeys = secretKeysOf(schema);
  for (const key of secretKeys) {
    if (input[key] !== undefined && opts.isSecret && !opts.isSecret(key)) {
      problems.push({
        path: `${NAMESPACE}:${key}`,
        received: "(value hidden)",
        message: "holds a secret but is stored in plain text",
        fix: `Run: pulumi config set --secret ${NAMESPACE}:${key} <value>, then remove the plain line from the stack file.`,
      });
    }
  }
  const sections: Section[] = [
    { schema: schema.base, prefix: [] },
    ...(target ? [{ schema: target.settings, prefix: [target.name] }] : []),
  ];
  for (const section of sections) problems.push(...plainSecrets(section, input, opts));

  const cross = target
    ? schema.crossChecks?.({ input, target: target.name, settings, base: base.data, problems: [...problems] })
    : undefined;
  problems.push(...(cross?.problems ?? []));

  // A known target always parses to data or problems; an unknown one is a problem of the base.
  if (problems.length > 0 || !base.data || !target) throw new ConfigError(dedupe(problems));
  const rest = { ...(base.data as Record<string, unknown>) };
  for (const t of schema.targets) delete rest[t.name];
  for (const key of secretKeys) delete rest[key];
  const parsed: ParsedConfig = { ...rest, ...cross?.fields, target: target.name, settings };
  // The composed schema's output type is C by construction (see the root schema.ts).
  return parsed as C;
}

interface Found {
  problem: ConfigProblem;
  code: string;
}

/**
 * Parses one section. When a field fails in a way that makes zod skip the section's cross-field
 * checks (a wrong type, a value outside an enum), the section is parsed again with the failing
 * values taken out (their default, or a placeholder of the right type), so those checks still run
 * and every problem shows in one run. A problem from such a pass is kept only when it neither
 * sits at a taken-out field nor, beside one, names it (it would describe the placeholder, not the
 * user's value).
 */
function checkSection(section: Section, input: unknown): { data?: unknown; problems: ConfigProblem[] } {
  const first = section.schema.safeParse(input, { reportInput: true });
  if (first.success) return { data: first.data, problems: [] };
  const found: Found[] = first.error.issues.flatMap((i) => withCode(i, input, section));
  let current = input;
  let issues = first.error.issues;
  const removed: (string | number)[][] = [];
  for (let pass = 0; pass < 3 && issues.some((i) => ABORTING.has(i.code)); pass++) {
    const paths = issues
      .flatMap((i) => (i.code === "unrecognized_keys" ? i.keys.map((k) => [...i.path, k]) : [i.path]))
      .filter((p) => p.length > 0 && !removed.some((r) => isUnder(p, r))) as (string | number)[][];
    if (paths.length === 0) break;
    removed.push(...paths);
    for (const p of paths) current = replaceAt(current, p, placeholderFor(fieldLayers(section.schema, p)));
    const again = section.schema.safeParse(current, { reportInput: true });
    if (again.success) break;
    issues = again.error.issues;
    for (const i of issues) {
      const at = i.path as (string | number)[];
      if (removed.some((r) => isUnder(at, r))) continue;
      for (const f of withCode(i, input, section)) {
        const text = `${f.problem.message} ${f.problem.fix}`;
        // A check beside a taken-out field that names it has read the placeholder.
        const readPlaceholder = removed.some(
          (r) => isUnder(at, r.slice(0, -1)) && new RegExp(`\\b${escape(String(r[r.length - 1]))}\\b`).test(text),
        );
        if (!readPlaceholder) found.push(f);
      }
    }
  }
  // A field with a domain check of its own keeps that check's message, not a generic bound as well.
  const custom = new Set(found.filter((f) => f.code === "custom").map((f) => f.problem.path));
  const kept = found.filter((f) => !(BOUND_CODES.has(f.code) && custom.has(f.problem.path)));
  return { problems: dedupe(kept.map((f) => f.problem)) };
}

/** Issue kinds after which zod does not run an object's refinements. */
const ABORTING: ReadonlySet<string> = new Set([
  "invalid_type",
  "invalid_value",
  "invalid_union",
  "invalid_key",
  "invalid_element",
]);

function withCode(issue: z.core.$ZodIssue, input: unknown, section: Section): Found[] {
  // A bound the schema author worded (`.min(1, { message })`) is a domain check, not a generic one.
  const worded = BOUND_CODES.has(issue.code) && !issue.message.startsWith("Too ");
  return problemFromIssue(issue, input, section).map((problem) => ({ problem, code: worded ? "custom" : issue.code }));
}

/** One problem per path and message (a bound reported by two checks reads once). */
function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isUnder(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => k === path[i]);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Undefined (take the field's default) when it has one, else a value of the field's type. */
function placeholderFor(layers: readonly z.ZodType[]): unknown {
  if (layers.some((l) => ["optional", "default", "prefault"].includes(typeOf(l)))) return undefined;
  const leaf = layers[layers.length - 1];
  switch (leaf && typeOf(leaf)) {
    case "string":
      return "";
    case "number":
      return 0;
    case "boolean":
      return false;
    case "enum":
      return Object.values((leaf as z.ZodEnum).enum)[0];
    case "array":
      return [];
    case "object":
    case "record":
      return {};
    default:
      return undefined;
  }
}

/** A copy of `root` with the value at `path` replaced (or removed when `value` is undefined). */
function replaceAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...tail] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(root)) {
    const copy = [...root];
    if (typeof head === "number" && head < copy.length) copy[head] = replaceAt(copy[head], tail, value);
    return copy;
  }
  if (root === null || typeof root !== "object") return root;
  const copy: Record<string, unknown> = { ...(root as Record<string, unknown>) };
  const next = replaceAt(copy[head], tail, value);
  if (next === undefined) delete copy[head];
  else copy[head] = next;
  return copy;
}

/**
 * Fields marked `secretField` must arrive encrypted: Pulumi marks the whole `kuar:<key>` secret
 * when any value under it was set with `--secret`. Their values are never echoed.
 */
function plainSecrets(section: Section, input: Record<string, unknown>, opts: ParseOptions): ConfigProblem[] {
  if (!opts.isSecret) return [];
  const out: ConfigProblem[] = [];
  const top = section.prefix[0];
  const walk = (value: unknown, path: (string | number)[]) => {
    const layers = fieldLayers(section.schema, path);
    if (layers.length === 0) return;
    const key = String(top ?? path[0]);
    if (path.length > 0 && layers.some(isSecretField) && value !== undefined) {
      if (!opts.isSecret!(key)) {
        const at = configPath([...section.prefix, ...path]);
        out.push({
          path: at,
          received: "(value hidden)",
          message: "holds a secret but is stored in plain text",
          fix: `Run: pulumi config set --secret --path '${at}' <value>, then remove the plain value from the stack file.`,
        });
      }
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(top === undefined ? input : valueAt(input, [top]), []);
  return out;
}

/** Decodes a config value the way `Config.getObject` would: JSON for booleans, numbers, lists, objects. */
export function decode(v: string): unknown {
  const t = v.trim();
  if (t === "true" || t === "false" || t === "null" || /^[[{]/.test(t) || /^-?\d+(\.\d+)?$/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return v;
    }
  }
  return v;
}

export interface StackConfigWith<C> {
  config: C;
  /** Every secret config key set on the stack (config/schema.ts secretKeysOf), by key. */
  secrets: Partial<Record<string, pulumi.Output<string>>>;
}

/** Reads `kuar:*` from the running Pulumi program. Throws ConfigError before anything registers. */
export function readStackConfigWith<C>(schema: ComposedSchema<C>): StackConfigWith<C> {
  const runtime = pulumi.runtime as unknown as { isConfigSecret(k: string): boolean };
  const config = parseConfigWith(schema, pulumi.runtime.allConfig(), {
    isSecret: (k) => runtime.isConfigSecret(`${NAMESPACE}:${k}`),
  });
  const c = new pulumi.Config(NAMESPACE);
  const secrets: StackConfigWith<C>["secrets"] = {};
  for (const key of secretKeysOf(schema)) {
    const value = c.getSecret(key);
    if (value !== undefined) secrets[key] = value;
  }
  return { config, secrets };
}

// Until every caller imports the composed parser from the root schema.ts, these forward to it.
// They are the one import of config/ from outside it (test/unit/config/layers.test.ts lists it).

/** @deprecated import `parseConfig` from the root schema.ts. */
export function parseConfig(raw: Record<string, string>, opts: ParseOptions = {}): root.KuarConfig {
  return root.parseConfig(raw, opts);
}

/** @deprecated import `parseObject` from the root schema.ts. */
export function parseObject(input: Record<string, unknown>, opts: ParseOptions = {}): root.KuarConfig {
  return root.parseObject(input, opts);
}

export type KuarConfig = root.KuarConfig;
