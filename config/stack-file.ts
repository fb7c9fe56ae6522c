/** Stack files (`stacks/Pulumi.<stack>.yaml`) as the flat map Pulumi hands a program. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** Reads a stack file into the flat `ns:key -> string` map, listing `secure:` keys separately. */
export function stackFileConfig(path: string): { raw: Record<string, string>; secureKeys: string[] } {
  const doc = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw: Record<string, string> = {};
  const secureKeys: string[] = [];
  for (const [k, v] of Object.entries(doc?.config ?? {})) {
    if (v && typeof v === "object" && "secure" in v) secureKeys.push(k);
    else raw[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return { raw, secureKeys };
}

/** `{ target: "gke", gke: {...} }` -> `{ "kuar:target": "gke", "kuar:gke": "{...}" }` */
export function flat(obj: Record<string, unknown>, ns = "kuar"): Record<string, string> {
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [`${ns}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** A stack name as a DNS label (`Dev_1` -> `dev-1`), for names derived from it. */
export function stackLabel(stack: string): string {
  const label = stack
    .toLowerCase()
    .replace(/^.*\//, "")
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return label || "stack";
}

/**
 * The one default cluster name of every target and the CLI: `kuar-<stack label>`, cut to the
 * target's `maxLength` without leaving a trailing dash. @default maxLength no limit
 */
export function defaultClusterName(stack: string, maxLength = Number.POSITIVE_INFINITY): string {
  return fit(`kuar-${stackLabel(stack)}`, maxLength);
}

/** Cut to `max` characters without leaving a trailing dash or underscore. */
export function fit(s: string, max: number): string {
  return s.slice(0, max).replace(/[-_]+$/, "");
}
