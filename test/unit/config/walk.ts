/** Walking the composed schema: every field with its path, and config paths resolved back to fields. */
import type { z } from "zod";
import { fieldLayers, typeOf } from "../../../config/errors.js";
import { secretKeysOf } from "../../../config/schema.js";
import { baseSchema, kuarSchema } from "../../../schema.js";

export interface Field {
  /** Section: "" for the top level, else a target name. */
  section: string;
  /** Path inside the section. */
  path: (string | number)[];
  /** The zod type of the field's innermost layer. */
  type: string;
  layers: z.ZodType[];
}

const CONTAINERS = new Set(["object", "array", "record"]);

/** Every field of a section schema, depth first; arrays and records contribute one sample entry. */
export function fields(schema: z.ZodType, section: string, skip: ReadonlySet<string> = new Set()): Field[] {
  const out: Field[] = [];
  const walk = (path: (string | number)[], depth: number) => {
    const layers = fieldLayers(schema, path);
    if (layers.length === 0 || depth > 12) return;
    const container = layers.find((l) => CONTAINERS.has(typeOf(l)));
    const leaf = layers[layers.length - 1]!;
    if (path.length > 0) out.push({ section, path, type: container ? typeOf(container) : typeOf(leaf), layers });
    if (!container) return;
    const kind = typeOf(container);
    if (kind === "object") {
      for (const key of Object.keys((container as z.ZodObject).shape)) {
        if (path.length === 0 && skip.has(key)) continue;
        walk([...path, key], depth + 1);
      }
    } else walk([...path, kind === "array" ? 0 : "example"], depth + 1);
  };
  walk([], 0);
  return out;
}

/** Every field kuar's config has: the top level (add-ons, workloads included) and each target's settings. */
export function allFields(): Field[] {
  const skip = new Set<string>([...kuarSchema.targets.map((t) => t.name), ...secretKeysOf(kuarSchema)]);
  return [...fields(baseSchema, "", skip), ...kuarSchema.targets.flatMap((t) => fields(t.settings, t.name))];
}

/**
 * The schema layers a `pulumi config set --path` path names, or [] when no such field exists.
 * `<key>` stands for any key of a record.
 */
export function resolve(configPath: string): z.ZodType[] {
  const m = /^kuar:(.+)$/.exec(configPath);
  if (!m) return [];
  const tokens = [...m[1]!.matchAll(/(?:^|\.)([A-Za-z_][A-Za-z0-9_-]*|<key>)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)];
  if (tokens.map((t) => t[0]).join("") !== m[1]) return [];
  const path = tokens.map((t) =>
    t[2] !== undefined
      ? Number(t[2])
      : t[3] !== undefined
        ? (JSON.parse(t[3]) as string)
        : t[1] === "<key>"
          ? "example"
          : t[1]!,
  );
  const target = kuarSchema.targets.find((t) => t.name === path[0]);
  return target ? fieldLayers(target.settings, path.slice(1)) : fieldLayers(baseSchema, path);
}

/** `{}` with `value` set at `path` (arrays created for numeric keys). */
export function setIn(path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...tail] = path;
  const inner = setIn(tail, value);
  if (typeof head === "number") return Object.assign(new Array(head + 1).fill(undefined), { [head]: inner });
  return { [head!]: inner };
}
