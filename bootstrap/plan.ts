/**
 * Which add-ons a cluster gets, decided from its capabilities and `kuar:addons` only (never from
 * the target's name), with a reason for each one left out and the order they install in. Each
 * add-on states its own rules (addon.ts); this file walks the registry in order and names none.
 * Plain data in, plain data out: tested directly.
 */
import { ConfigError, type ConfigProblem } from "../config/errors.js";
import type { ClusterCapabilities } from "../providers/contract.js";
import type { AddonPart, PlanInputs } from "./addon.js";
import { addonRegistry, type AddonsConfig } from "./schema.js";

export type { PlanInputs } from "./addon.js";

/** Every plan entry, in install order: each add-on followed by its parts. */
export function planParts(): AddonPart[] {
  return addonRegistry().flatMap((d) => [d, ...(d.parts ?? [])]);
}

/** Every add-on id, in install order. */
export const ADDONS: readonly string[] = planParts().map((p) => p.id);
export type AddonId = string;

export interface Skip {
  addon: AddonId;
  reason: string;
}

export interface AddonPlan {
  /** Add-ons to install. */
  install: Record<AddonId, boolean>;
  /** Add-ons left out, each with why. */
  skipped: Skip[];
  /** For each installed add-on, the installed add-ons it must wait for. */
  after: Partial<Record<AddonId, AddonId[]>>;
}

/** Decides the add-ons. Throws ConfigError listing every problem the capabilities reveal in the config. */
export function planAddons(caps: ClusterCapabilities, addons: AddonsConfig, inputs: PlanInputs = {}): AddonPlan {
  const problems = planProblems(caps, addons, inputs);
  if (problems.length > 0) throw new ConfigError(problems);

  const parts = planParts();
  const skipped: Skip[] = [];
  const install: Record<AddonId, boolean> = {};
  for (const part of parts) {
    const reason = part.skip(caps, addons);
    if (reason !== undefined) skipped.push({ addon: part.id, reason });
    install[part.id] = reason === undefined;
  }
  const after: AddonPlan["after"] = {};
  for (const part of parts) {
    if (install[part.id]) after[part.id] = part.waitsFor.filter((dep) => install[dep]);
  }
  return { install, skipped, after };
}

/** Problems only visible once the capabilities are known (the schema cannot see them), in registry order. */
export function planProblems(caps: ClusterCapabilities, addons: AddonsConfig, inputs: PlanInputs): ConfigProblem[] {
  return addonRegistry().flatMap((d) => d.problems?.(caps, addons, inputs) ?? []);
}
