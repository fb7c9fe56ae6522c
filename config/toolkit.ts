/**
 * The validation toolkit every schema builds on: field-specific fixes that survive zod's
 * built-in checks, pattern fields, cross-field issues, and the network and node pool checks the
 * cloud targets share. Messages say what is wrong and what is allowed; `fix` says what to do.
 */
import { z } from "zod";
import { cidrsOverlap, parseCidr, podRangeCapacity } from "./cidr.js";

/** A path inside the section being checked, e.g. `["workloadPools", 1, "minCount"]`. */
export type Path = (string | number)[];

/** Issue options carrying a fix: `refine(fn, { message, ...fix("Do this.") })`. */
export function fix(text: string): { params: { fix: string } } {
  return { params: { fix: text } };
}

/**
 * Attaches a fix to a field, so problems raised by zod's own checks on it (`.regex()`, `.min()`,
 * `iso.datetime()`, a wrong type) end in that fix rather than a generic one. Read back by
 * `fieldFix` in errors.ts.
 */
export function withFix<T extends z.ZodType>(schema: T, text: string): T {
  return schema.meta({ fix: text });
}

/** The fix attached with `withFix`, if any. */
export function fixOf(schema: z.ZodType): string | undefined {
  const meta = z.globalRegistry.get(schema) as { fix?: unknown } | undefined;
  return typeof meta?.fix === "string" ? meta.fix : undefined;
}

/**
 * Marks a field as secret: the program refuses it unless the `kuar:<section>` key holding it is
 * stored encrypted (`pulumi config set --secret --path ...`), and never echoes its value.
 */
export function secretField<T extends z.ZodType>(schema: T): T {
  return schema.meta({ secret: true });
}

/** Whether `secretField` marked this schema. */
export function isSecretField(schema: z.ZodType): boolean {
  return (z.globalRegistry.get(schema) as { secret?: unknown } | undefined)?.secret === true;
}

/** A string matching `pattern`, with a message naming what is allowed and a fix. */
export function matching(pattern: RegExp, message: string, fixText: string) {
  return z.string().refine((s) => pattern.test(s), { message, ...fix(fixText) });
}

/** Adds one custom issue at `path` with its fix. */
export type Issue = (path: Path, input: unknown, message: string, fixText: string) => void;

/** An `Issue` writer for a refinement context. */
export function issuer(ctx: z.RefinementCtx): Issue {
  return (path, input, message, fixText) => ctx.addIssue({ code: "custom", path, input, message, ...fix(fixText) });
}

/** Adds an issue for each overlapping pair among named CIDRs (malformed ones are skipped). */
export function checkNoOverlap(ctx: z.RefinementCtx, entries: { path: Path; cidr: string | undefined }[]): void {
  const present = entries.filter((e): e is { path: Path; cidr: string } => !!e.cidr);
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const [a, b] = [present[i]!, present[j]!];
      if (cidrsOverlap(a.cidr, b.cidr)) {
        ctx.addIssue({
          code: "custom",
          path: b.path,
          input: b.cidr,
          message: `overlaps ${a.path.join(".")} (${a.cidr})`,
          ...fix("Pick ranges that do not share addresses."),
        });
      }
    }
  }
}

/** One node pool as the pool checks see it. */
export interface PoolBounds {
  /** Where the pool sits in the section, e.g. `["workloadPools", 0]`. */
  path: Path;
  name: string;
  min: number;
  max: number;
  /** A system pool must keep at least one node (cluster DNS and the cloud's add-ons run there). @default false */
  system?: boolean;
}

/**
 * The node pool rules every cloud shares: the autoscaler floor does not exceed its ceiling, a
 * system pool is never empty, and pool names are unique across the system and workload pools.
 * `keys` names the target's fields, and its section (`kuar:<section>`) for the exact fix.
 */
export function checkPools(
  issue: Issue,
  pools: readonly PoolBounds[],
  keys: { min: string; max: string; section?: string },
): void {
  const seen = new Map<string, string>();
  for (const p of pools) {
    if (p.min > p.max) {
      issue(
        [...p.path, keys.min],
        p.min,
        `must not exceed ${keys.max} (${p.max})`,
        `Lower ${keys.min} or raise ${keys.max} to at least ${p.min}.`,
      );
    }
    if (p.system && p.min < 1) {
      issue(
        [...p.path, keys.min],
        p.min,
        "must be at least 1 (cluster DNS and the cloud's own add-ons need a system node)",
        `Run: pulumi config set --path 'kuar:${keys.section}.${pathText(p.path)}.${keys.min}' 1 (dev), or 2 or more (production).`,
      );
    }
    const first = seen.get(p.name);
    if (first !== undefined) {
      issue(
        [...p.path, "name"],
        p.name,
        `duplicates the name of ${first}`,
        "Give every node pool (system and workload) a different name.",
      );
    } else seen.set(p.name, p.path.join("."));
  }
}

/** `["workloadPools", 0]` -> `workloadPools[0]`, as `pulumi config set --path` writes it. */
export function pathText(path: Path): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

/**
 * A Pod range that gives every node one `/perNodePrefix` must hold at least as many as the pools
 * may grow to (the sum of their ceilings). Malformed ranges are left to the field's own check.
 */
export function checkPodRangeCapacity(
  issue: Issue,
  at: { path: Path; cidr: string; maxNodes: number; maxKey: string; example: string; perNodePrefix?: number },
): void {
  const pods = parseCidr(at.cidr);
  if (!pods) return;
  const per = at.perNodePrefix ?? 24;
  const capacity = podRangeCapacity(pods, per);
  if (capacity === 0) {
    issue(
      at.path,
      at.cidr,
      `must be a /${per} or larger (each node takes a /${per} of Pod addresses)`,
      `Use a range such as "${at.example}".`,
    );
  } else if (capacity < at.maxNodes) {
    issue(
      at.path,
      at.cidr,
      `(${at.cidr}) holds Pod ranges for ${capacity} nodes (each node takes a /${per}), but the pools allow ${at.maxNodes}`,
      `Use a larger range (a smaller prefix length), or lower ${at.maxKey}.`,
    );
  }
}
