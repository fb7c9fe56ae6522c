/**
 * The add-ons and workloads `kuar init` offers, read from their own schemas: every section with an
 * `enabled` switch and a `.meta({ title })` (bootstrap/schema.ts, workloads/schema.ts). A new
 * add-on or workload appears here by having both; the wizard names none of them.
 */
import { z } from "zod";
import { addonsSchema } from "../bootstrap/schema.js";
import type { ClusterCapabilities } from "../providers/contract.js";
import type { AnswerKind } from "../providers/setup.js";
import { workloadsSchema } from "../workloads/schema.js";

const offerMeta = z.object({
  /** The line in the wizard's checklist. */
  title: z.string().min(1),
  /** Capabilities the target must be known to have for the section to be offered. @default {} */
  requires: z.record(z.string(), z.unknown()).default({}),
  /** Settings of the section asked when it is chosen. @default [] */
  ask: z
    .array(
      z.object({
        field: z.string(),
        message: z.string(),
        default: z.string().optional(),
        kind: z.enum(["string", "int", "list", "optional"]).optional(),
      }),
    )
    .default([]),
  /** Secret config keys the section reads when it is on. @default [] */
  secrets: z.array(z.string()).default([]),
  /**
   * Secret config keys the section reads once a setting of its own is set, whether or not the
   * stack says `enabled` (the key, then the setting's path inside the section). @default {}
   */
  secretsWhenSet: z.record(z.string(), z.array(z.string()).min(1)).default({}),
});

export interface FollowUp {
  field: string;
  message: string;
  default?: string;
  kind?: AnswerKind;
}

export interface Offer {
  /** The section's key under `kuar:addons` or `kuar:workloads`. */
  key: string;
  title: string;
  /** `enabled` when the stack says nothing. */
  enabledByDefault: boolean;
  requires: Record<string, unknown>;
  ask: FollowUp[];
  secrets: string[];
  /** Secret key -> the setting (a path inside the section) whose presence makes it relevant. */
  secretsWhenSet: Record<string, string[]>;
}

/** The offers of one config section, in the schema's order. */
export function offersOf(section: z.ZodObject): Offer[] {
  const defaults = section.parse({}) as Record<string, { enabled?: unknown }>;
  return Object.entries(section.shape).flatMap(([key, schema]) => {
    const meta = (schema as z.ZodType).meta();
    const enabled = defaults[key]?.enabled;
    if (meta?.title === undefined || typeof enabled !== "boolean") return [];
    const m = offerMeta.parse(meta);
    return [
      {
        key,
        title: m.title,
        enabledByDefault: enabled,
        requires: m.requires,
        ask: m.ask.map((q) => ({ ...q })) as FollowUp[],
        secrets: m.secrets,
        secretsWhenSet: m.secretsWhenSet,
      },
    ];
  });
}

export const addonOffers: readonly Offer[] = offersOf(addonsSchema);
export const workloadOffers: readonly Offer[] = offersOf(workloadsSchema);

/** Whether an offer applies to a target that is known to have `known`. */
export function offeredOn(o: Offer, known: Partial<ClusterCapabilities>): boolean {
  return Object.entries(o.requires).every(([k, v]) => (known as Record<string, unknown>)[k] === v);
}
