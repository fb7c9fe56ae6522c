/**
 * The full stack config schema, composed at the root from the layers that own each section:
 * the targets (providers/registry.ts), the add-ons (bootstrap/schema.ts) and the workloads
 * (workloads/schema.ts). config/ holds the machinery and depends on none of them.
 */
import type { z } from "zod";
import { planProblems } from "./bootstrap/plan.js";
import { addonRegistry, addonsSchema } from "./bootstrap/schema.js";
import {
  parseConfigWith,
  parseObjectWith,
  readStackConfigWith,
  type ComposedSchema,
  type CrossCheckInput,
  type ParseOptions,
  type StackConfigWith,
} from "./config/load.js";
import { ConfigError, type ConfigProblem } from "./config/errors.js";
import { composeBaseSchema, secretKeysOf } from "./config/schema.js";
import type { ClusterCapabilities } from "./providers/contract.js";
import { defaultTarget, targetByName, targets, type TargetName } from "./providers/registry.js";
import { workloadRegistry, workloadSecretProblems, workloadsSchema } from "./workloads/schema.js";

/** The secret config keys the workloads and add-ons read, as their own definitions declare them. */
export const layerSecretKeys: readonly string[] = [
  ...new Set([...workloadRegistry(), ...addonRegistry()].flatMap((d) => d.secrets ?? [])),
];

export const baseSchema = composeBaseSchema({
  targets,
  secretKeys: layerSecretKeys,
  defaultTarget,
  addons: addonsSchema,
  workloads: workloadsSchema,
});
export type BaseConfig = z.output<typeof baseSchema>;

/**
 * The checks that need more than one section: capabilities the target predicts from its settings
 * (what the cluster will report, so the add-ons' plan is checked before any resource), and the
 * secrets the chosen workloads need.
 */
function crossChecks({ input, target, settings, base, problems: found }: CrossCheckInput) {
  const problems: ConfigProblem[] = [];
  // Settings with a problem of their own (a secret stored in plain text, say) are not used to
  // predict capabilities: a target that asks its cluster would connect with them.
  if (found.some((p) => p.path.startsWith(`kuar:${target}.`) || p.path === `kuar:${target}`)) settings = undefined;
  let capabilities: ClusterCapabilities | undefined;
  try {
    capabilities =
      settings === undefined ? undefined : targetByName(target as TargetName).capabilities(settings as never);
  } catch (e) {
    // A target that asks its cluster (existing) reports an unreachable one as a config problem.
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  const addons = addonsSchema.safeParse(input["addons"] ?? {});
  if (capabilities && addons.success) {
    const secrets = secretKeysOf(kuarSchema).filter((k) => input[k] !== undefined);
    problems.push(...planProblems(capabilities, addons.data, { secrets }));
  }
  if (base !== undefined) {
    const workloads = (base as BaseConfig).workloads;
    problems.push(...workloadSecretProblems(workloads, (k) => input[k] !== undefined));
  }
  return { problems, fields: { capabilities } };
}

export const kuarSchema: ComposedSchema<KuarConfig> = {
  base: baseSchema,
  targets,
  secretKeys: layerSecretKeys,
  defaultTarget,
  crossChecks,
};

export interface KuarConfig extends Omit<BaseConfig, TargetName> {
  target: TargetName;
  /** The chosen target's settings, parsed by its own schema. */
  settings: unknown;
  /** What the cluster will report, predicted from the settings (the target's `capabilities`). */
  capabilities: ClusterCapabilities;
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

/**
 * Every problem a stack config has, the capability-dependent ones included, without throwing: the
 * wizard calls this before it writes a stack file; the program runs the same checks through
 * `parseObject` before any resource exists.
 */
export function stackConfigProblems(input: Record<string, unknown>, opts: ParseOptions = {}): ConfigProblem[] {
  try {
    parseObject(input, opts);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}
