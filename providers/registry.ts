/**
 * The target registry: the only list of targets in kuar, and the one place that loads a target's
 * definition (index.ts, with its cloud SDK) or its `kuar init` setup (setup.ts) on demand. Nothing
 * outside providers/ names a target; they look it up here.
 */
import type { z } from "zod";
import { info as aks } from "./aks/info.js";
import { info as eks } from "./eks/info.js";
import { info as existing } from "./existing/info.js";
import { info as gke } from "./gke/info.js";
import { info as local } from "./local/info.js";
import { info as raspberrypi } from "./raspberrypi/info.js";
import type { TargetSetup } from "./setup.js";
import type { TargetDefinition, TargetInfo } from "./target.js";

export interface RegisteredTarget<S extends z.ZodType = z.ZodType, N extends string = string> extends TargetInfo<S, N> {
  /** Loads the full definition (the target's index.ts). */
  load(): Promise<TargetDefinition<S, N>>;
  /** Loads the target's `kuar init` questions and preflight checks (its setup.ts). */
  setup(): Promise<TargetSetup>;
}

function register<S extends z.ZodType, N extends string>(
  info: TargetInfo<S, N>,
  load: () => Promise<{ target: TargetDefinition<S, N> }>,
  setup?: () => Promise<{ setup: TargetSetup }>,
): RegisteredTarget<S, N> {
  return { ...info, load: async () => (await load()).target, setup: async () => (setup ? (await setup()).setup : {}) };
}

export const targets = [
  register(
    local,
    () => import("./local/index.js"),
    () => import("./local/setup.js"),
  ),
  register(
    gke,
    () => import("./gke/index.js"),
    () => import("./gke/setup.js"),
  ),
  register(
    aks,
    () => import("./aks/index.js"),
    () => import("./aks/setup.js"),
  ),
  register(
    eks,
    () => import("./eks/index.js"),
    () => import("./eks/setup.js"),
  ),
  register(
    raspberrypi,
    () => import("./raspberrypi/index.js"),
    () => import("./raspberrypi/setup.js"),
  ),
  register(existing, () => import("./existing/index.js")),
] as const satisfies readonly RegisteredTarget[];

export type TargetName = (typeof targets)[number]["name"];
export const targetNames = targets.map((t) => t.name) as [TargetName, ...TargetName[]];
export const defaultTarget: TargetName = "local";

export function targetByName(name: string): RegisteredTarget {
  const t: RegisteredTarget | undefined = targets.find((x) => x.name === name);
  if (!t) throw new Error(`unknown target "${name}"; known targets: ${targetNames.join(", ")}`);
  return t;
}

/** Every secret config key any target reads. */
export const targetSecretKeys: readonly string[] = [...new Set(targets.flatMap((t) => t.secretKeys))];
