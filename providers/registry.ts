/**
 * The target registry: the only list of targets in kuar. Nothing outside providers/ names a
 * target; they look it up here.
 */
import { target as aks } from "./aks/index.js";
import { target as eks } from "./eks/index.js";
import { target as gke } from "./gke/index.js";
import { target as local } from "./local/index.js";
import { target as raspberrypi } from "./raspberrypi/index.js";
import type { TargetDefinition } from "./target.js";

export const targets = [local, gke, aks, eks, raspberrypi] as const satisfies readonly TargetDefinition[];

export type TargetName = (typeof targets)[number]["name"];
export const targetNames = targets.map((t) => t.name) as [TargetName, ...TargetName[]];
export const defaultTarget: TargetName = "local";

export function targetByName(name: string): TargetDefinition {
  const t = targets.find((x) => x.name === name);
  if (!t) throw new Error(`unknown target "${name}"; known targets: ${targetNames.join(", ")}`);
  return t as TargetDefinition;
}
