/**
 * Turning schema problems into messages a person can act on: the config path, the value
 * received, what is allowed and how to fix it. Every problem is reported at once.
 */
import { RunError } from "@pulumi/pulumi/errors.js";
import type { z } from "zod";

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

/** `["gke", "nodePools", 1, "minNodes"]` -> `kuar:gke.nodePools[1].minNodes` */
export function configPath(path: readonly PropertyKey[], namespace = "kuar"): string {
  let out = "";
  for (const [i, key] of path.entries()) {
    if (typeof key === "number") out += `[${key}]`;
    else if (i === 0) out += `${namespace}:${String(key)}`;
    else out += `.${String(key)}`;
  }
  return out || `${namespace}:`;
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

/**
 * Custom refinements carry their fix in `params.fix`; built-in zod issues get one derived
 * from the issue kind.
 */
export function problemFromIssue(
  issue: z.core.$ZodIssue,
  input: unknown,
  keysAt: (path: readonly PropertyKey[]) => string[] = () => [],
): ConfigProblem[] {
  const path = configPath(issue.path);
  // Cross-field checks run on parsed (defaulted) data: show the value they checked when the raw
  // input did not set it.
  const raw = valueAt(input, issue.path);
  const received = raw === undefined ? (issue as { input?: unknown }).input : raw;
  const params = (issue as { params?: { fix?: string } }).params;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const parent = valueAt(input, issue.path);
        const known = keysAt(issue.path);
        const guess = closest(key, known);
        return {
          path: configPath([...issue.path, key]),
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
          fix: guess ? `Did you mean "${guess}"?` : `Set ${path} to one of them.`,
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
          fix: params?.fix ?? `Set it with: pulumi config set --path '${path}' <${issue.expected}>.`,
        },
      ];
    }
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const word = issue.code === "too_small" ? "at least" : "at most";
      const what = issue.origin === "array" ? " entries" : issue.origin === "string" ? " characters" : "";
      const incl = issue.inclusive === false ? (issue.code === "too_small" ? "more than" : "less than") : word;
      return [
        {
          path,
          received,
          message:
            issue.message && !issue.message.startsWith("Too ")
              ? issue.message
              : `must be ${incl} ${String(bound)}${what}`,
          fix: params?.fix ?? "Change the value to fit the bound.",
        },
      ];
    }
    case "invalid_union":
      return [
        {
          path,
          received,
          message: issue.message,
          fix: params?.fix ?? "Check the allowed shapes in the configuration reference.",
        },
      ];
    default:
      return [
        {
          path,
          received,
          message: issue.message,
          fix: params?.fix ?? "See the configuration reference in docs/configuration.md.",
        },
      ];
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
  let cur: z.ZodType | undefined = schema;
  for (const key of [...path, undefined]) {
    cur = unwrap(cur);
    if (!cur) return [];
    if (key === undefined) break;
    const def = (cur as unknown as { def: { type: string } }).def;
    if (def.type === "object") cur = (cur as z.ZodObject).shape[String(key)] as z.ZodType | undefined;
    else if (def.type === "array") cur = (cur as z.ZodArray<z.ZodType>).element;
    else if (def.type === "record") cur = (def as unknown as { valueType: z.ZodType }).valueType;
    else return [];
  }
  return cur && (cur as unknown as { def: { type: string } }).def.type === "object"
    ? Object.keys((cur as z.ZodObject).shape)
    : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let cur = schema;
  for (let i = 0; cur && i < 10; i++) {
    const def = (cur as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }).def;
    if (def.innerType) cur = def.innerType;
    else if (def.type === "pipe" && def.in) cur = def.in;
    else break;
  }
  return cur;
}
