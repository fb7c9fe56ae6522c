/**
 * Turning schema problems into messages a person can act on: the config path, the value
 * received, what is allowed and how to fix it. Every problem is reported at once.
 */
import { RunError } from "@pulumi/pulumi/errors.js";
import type { z } from "zod";
import { configPath } from "./path.js";
import { fixOf, isSecretField } from "./toolkit.js";

export { configPath };

export interface ConfigProblem {
  /** Stack config path, e.g. `kuar:gke.nodePools[1].minNodes`. */
  path: string;
  /** The offending value as received (secrets are never echoed). */
  received: unknown;
  /** What went wrong and what is allowed. */
  message: string;
  /** How to fix it. */
  fix: string;
}

/**
 * A RunError, so Pulumi prints just the message (no stack trace) when the program stops on it.
 */
export class ConfigError extends RunError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
    this.problems = problems;
    // The fault is in the stack config, not the code: a trace would only add noise, and Pulumi's
    // runner formats the error with util.inspect, which takes seconds on long source-mapped traces.
    this.stack = `${this.name}: ${this.message}`;
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  const n = problems.length;
  const lines = problems.map((p, i) => `  ${i + 1}. ${p.path}: ${p.message}, got ${show(p.received)}. ${p.fix}`);
  return `kuar found ${n} problem${n === 1 ? "" : "s"} in the stack config; nothing was changed:\n${lines.join("\n")}`;
}

/** A short, single-line rendering of a received value. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys and values. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const o of options) {
    const d = distance(word.toLowerCase(), o.toLowerCase());
    if (d < bestScore) [best, bestScore] = [o, d];
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Where a section's issues sit: its schema and its place in the stack config. */
export interface Section {
  /** The section's schema (the whole config, or a target's settings). */
  schema: z.ZodType;
  /** The section's path in the config, e.g. `["gke"]`; `[]` for the top level. */
  prefix: readonly (string | number)[];
}

/** Issue kinds whose problem is a generic bound; dropped where a domain check speaks for the field. */
export const BOUND_CODES: ReadonlySet<string> = new Set(["too_small", "too_big"]);

/**
 * Turns one zod issue into problems. Paths (and every fix naming a path) are full config paths,
 * `kuar:<section>.<field>`, so following a fix never creates a new, unknown key. Custom
 * refinements carry their fix in `params.fix`; a field may attach one with `withFix` that also
 * covers zod's built-in checks; anything else gets a fix derived from the field's schema.
 */
export function problemFromIssue(issue: z.core.$ZodIssue, input: unknown, section: Section): ConfigProblem[] {
  const full = [...section.prefix, ...issue.path];
  const path = configPath(full);
  const layers = fieldLayers(section.schema, issue.path);
  // Cross-field checks run on parsed (defaulted) data: show the value they checked when the raw
  // input did not set it.
  const raw = valueAt(input, issue.path);
  // A secret field's value is never echoed, whatever check it failed.
  const received = layers.some(isSecretField)
    ? "(value hidden)"
    : raw === undefined
      ? (issue as { input?: unknown }).input
      : raw;
  const own = (issue as { params?: { fix?: string } }).params?.fix ?? layers.map(fixOf).find((f) => f !== undefined);
  const fixText = own ?? setFix(path, layers);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const parent = valueAt(input, issue.path);
        const known = schemaKeysAt(section.schema, issue.path);
        const guess = closest(key, known);
        return {
          path: configPath([...full, key]),
          received: (parent as Record<string, unknown> | undefined)?.[key],
          message: "is not a setting kuar knows",
          fix: guess
            ? `Did you mean "${guess}"? Rename the key.`
            : `Remove it${known.length ? `; known keys here: ${known.join(", ")}` : ""}.`,
        };
      });
    case "invalid_value": {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      const guess = typeof received === "string" ? closest(received, issue.values.map(String)) : undefined;
      return [
        {
          path,
          received,
          message: `expected one of ${allowed.join(", ")}`,
          fix: guess
            ? `Did you mean "${guess}"? Run: pulumi config set --path '${path}' ${guess}`
            : (own ?? `Set ${path} to one of them: pulumi config set --path '${path}' <value>.`),
        },
      ];
    }
    case "invalid_type": {
      const expected = TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
      return [
        {
          path,
          received,
          message: received === undefined ? `is required (${expected})` : `expected ${expected}`,
          fix: fixText,
        },
      ];
    }
    case "too_small":
    case "too_big": {
      const custom = issue.message && !issue.message.startsWith("Too ");
      return [{ path, received, message: custom ? issue.message : boundMessage(issue, layers), fix: fixText }];
    }
    case "invalid_key": {
      // A record key failed its own schema: report it at the key, with the key schema's message and fix.
      const key = (issue as { input?: unknown }).input;
      return issue.issues.map((inner) => ({
        path,
        received: key,
        message:
          inner.code === "custom" || !inner.message.startsWith("Invalid") ? inner.message : "is not an allowed key",
        fix: (inner as { params?: { fix?: string } }).params?.fix ?? fixText,
      }));
    }
    case "invalid_format": {
      // A message the schema wrote itself (`.regex(re, { message })`) says more than a pattern.
      const own = issue.message && !issue.message.startsWith("Invalid");
      return [{ path, received, message: own ? issue.message : formatMessage(issue), fix: fixText }];
    }
    default:
      return [{ path, received, message: issue.message, fix: fixText }];
  }
}

/** The fix for a field without its own: the exact command, with what it accepts. */
export function setFix(path: string, layers: readonly z.ZodType[]): string {
  const field = layers[layers.length - 1];
  const type = field ? typeOf(field) : "unknown";
  if (type === "object") {
    const keys = field ? Object.keys((field as z.ZodObject).shape) : [];
    const first = keys[0];
    return first
      ? `Write it as a mapping of ${keys.join(", ")}, or set one key at a time: pulumi config set --path '${path}.${first}' <value>.`
      : `Write it as a mapping in the stack file.`;
  }
  if (type === "array")
    return `Write it as a list, or set one entry at a time: pulumi config set --path '${path}[0]' <value>.`;
  if (type === "record")
    return `Write it as a mapping, or set one entry at a time: pulumi config set --path '${path}.<key>' <value>.`;
  return `Set it with: pulumi config set --path '${path}' ${placeholder(layers)}.`;
}

function placeholder(layers: readonly z.ZodType[]): string {
  const field = layers[layers.length - 1];
  const def = field ? (field as unknown as { def: { type: string; format?: string } }).def : undefined;
  if (!def) return "<value>";
  if (def.type === "boolean") return "true|false";
  if (def.type === "enum") return `<${Object.values((field as z.ZodEnum).enum).join("|")}>`;
  if (def.type === "number") {
    const b = numericBounds(layers);
    const what = def.format === "safeint" || def.format === "int32" ? "integer" : "number";
    if (b.min !== undefined && b.max !== undefined && !b.minStrict && !b.maxStrict)
      return `<${what} from ${b.min} to ${b.max}>`;
    const range = [lower(b), upper(b)].filter(Boolean).join(" and ");
    return range ? `<${what} ${range}>` : `<${what}>`;
  }
  if (def.type === "string" && def.format === "datetime") return "<ISO 8601 time such as 2026-12-01T18:00:00Z>";
  return `<${def.type}>`;
}

interface Bounds {
  min?: number;
  max?: number;
  /** The bound itself is not allowed (`.positive()`, `.gt()`). */
  minStrict?: boolean;
  maxStrict?: boolean;
}

/** The tightest bounds (value for numbers, length for strings and lists) across a field's layers. */
function numericBounds(layers: readonly z.ZodType[]): Bounds {
  const b: Bounds = {};
  for (const layer of layers) {
    const checks = (layer as unknown as { def: { checks?: { _zod: { def: Record<string, unknown> } }[] } }).def.checks;
    for (const c of checks ?? []) {
      const d = c._zod.def;
      const v = (d["value"] ?? d["minimum"] ?? d["maximum"] ?? d["length"]) as number | undefined;
      if (typeof v !== "number") continue;
      const strict = d["inclusive"] === false;
      const check = String(d["check"]);
      if (["greater_than", "min_length", "min_size"].includes(check) && (b.min === undefined || v > b.min))
        [b.min, b.minStrict] = [v, strict];
      else if (["less_than", "max_length", "max_size"].includes(check) && (b.max === undefined || v < b.max))
        [b.max, b.maxStrict] = [v, strict];
      else if (check === "length_equals") Object.assign(b, { min: v, max: v, minStrict: false, maxStrict: false });
    }
  }
  return b;
}

function lower(b: Bounds): string | undefined {
  return b.min === undefined ? undefined : `${b.minStrict ? "more than" : "at least"} ${b.min}`;
}
function upper(b: Bounds): string | undefined {
  return b.max === undefined ? undefined : `${b.maxStrict ? "less than" : "at most"} ${b.max}`;
}

/**
 * One bound per problem, the tightest the field declares: a value outside `.min(1)` on a
 * `z.int()` reads "must be at least 1", never also "at least -9007199254740991".
 */
function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, layers: readonly z.ZodType[]): string {
  const declared = numericBounds(layers);
  const small = issue.code === "too_small";
  const given = Number(small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  const strict = issue.inclusive === false;
  const phrase =
    (small ? lower(declared) : upper(declared)) ??
    `${small ? (strict ? "more than" : "at least") : strict ? "less than" : "at most"} ${given}`;
  const unit = issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : "";
  return `must ${unit ? "have " : "be "}${phrase}${unit}`;
}

function formatMessage(issue: z.core.$ZodIssueInvalidStringFormat): string {
  switch (issue.format) {
    case "datetime":
      return "expected an ISO 8601 time with a UTC offset, such as 2026-12-01T18:00:00Z";
    case "regex":
      return `expected text matching ${issue.pattern ?? "the field's pattern"}`;
    case "url":
      return "expected a URL such as https://example.com";
    case "email":
      return "expected an email address such as ops@example.com";
    default:
      return `expected a ${issue.format}`;
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean",
  object: "an object",
  array: "a list",
  record: "an object",
};

/** The keys an object schema accepts at `path`, for "did you mean" hints. */
export function schemaKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const layers = fieldLayers(schema, path);
  const obj = layers.find((l) => typeOf(l) === "object");
  return obj ? Object.keys((obj as z.ZodObject).shape) : [];
}

/**
 * Every schema layer at `path` (the field and each wrapper: optional, default, pipe, refinement
 * clones), outermost first; empty when the path does not exist in the schema.
 */
export function fieldLayers(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  let layers = peel(schema);
  for (const key of path) {
    const container = layers.find((l) => ["object", "array", "record"].includes(typeOf(l)));
    if (!container) return [];
    const def = (container as unknown as { def: { type: string; valueType?: z.ZodType } }).def;
    let next: z.ZodType | undefined;
    if (def.type === "object") next = (container as z.ZodObject).shape[String(key)] as z.ZodType | undefined;
    else if (def.type === "array")
      next = typeof key === "number" ? (container as z.ZodArray<z.ZodType>).element : undefined;
    else next = def.valueType;
    if (!next) return [];
    layers = peel(next);
  }
  return layers;
}

/** A schema and the schemas it wraps (optional, default, prefault, nullable, pipe input), outermost first. */
function peel(schema: z.ZodType): z.ZodType[] {
  const out: z.ZodType[] = [];
  let cur: z.ZodType | undefined = schema;
  for (let i = 0; cur && i < 20; i++) {
    out.push(cur);
    const def: { type: string; innerType?: z.ZodType; in?: z.ZodType } = (
      cur as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }
    ).def;
    cur = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  }
  return out;
}

/** The zod type name of a schema (`object`, `string`, `pipe`, ...). */
export function typeOf(schema: z.ZodType): string {
  return (schema as unknown as { def: { type: string } }).def.type;
}
