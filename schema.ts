/**
 * The full stack config schema, composed at the root from the layers that own each section:
 * the targets (providers/registry.ts), the add-ons (bootstrap/schema.ts) and the workloads
 * (workloads/schema.ts). config/ holds the machinery and depends on none of them.
 */
import type { z } from "zod";
import { addonsSchema } from "./bootstrap/schema.js";
import {
  parseConfigWith,
  parseObjectWith,
  readStackConfigWith,
  type ComposedSchema,
  type ParseOptions,
  type StackConfigWith,
} from "./config/load.js";
import { composeBaseSchema, type SecretKey } from "./config/schema.js";
import { defaultTarget, targets, type TargetName } from "./providers/registry.js";
import { workloadsSchema } from "./workloads/schema.js";

export const baseSchema = composeBaseSchema({
  targets,
  defaultTarget,
  addons: addonsSchema,
  workloads: workloadsSchema,
});
export type BaseConfig = z.output<typeof baseSchema>;

export const kuarSchema: ComposedSchema<KuarConfig> = { base: baseSchema, targets, defaultTarget };

export interface KuarConfig extends Omit<BaseConfig, TargetName | SecretKey> {
  target: TargetName;
  /** The chosen target's settings, parsed by its own schema. */
  settings: unknown;
}

/** Parses the flat `kuar:<key> -> string` map Pulumi hands a program. Throws ConfigError. */
export function parseConfig(raw: Record<string, string>, opts: ParseOptions = {}): KuarConfig {
  return parseConfigWith(kuarSchema, raw, opts);
}

/** Parses already-decoded config (`{ target: "gke", gke: {...} }`). Throws ConfigError. */
export function parseObject(input: Record<string, unknown>, opts: ParseOptions = {}): KuarConfig {
  return parseObjectWith(kuarSchema, input, opts);
}

/** Reads and validates `kuar:*` from the running program, before anything registers. */
export function readStackConfig(): StackConfigWith<KuarConfig> {
  return readStackConfigWith(kuarSchema);
}
