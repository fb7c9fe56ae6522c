/**
 * The target registry: the only list of targets in kuar. Nothing outside providers/ names a
 * target; they look it up here.
 */
import { info as aks } from "./aks/info.js";
import { info as eks } from "./eks/info.js";
import { info as existing } from "./existing/info.js";
import { info as gke } from "./gke/info.js";
import { info as local } from "./local/info.js";
import { info as raspberrypi } from "./raspberrypi/info.js";
import type { TargetInfo } from "./target.js";

export const targets = [local, gke, aks, eks, raspberrypi, existing] as const satisfies readonly TargetInfo[];

export type TargetName = (typeof targets)[number]["name"];
export const targetNames = targets.map((t) => t.name) as [TargetName, ...TargetName[]];
export const defaultTarget: TargetName = "local";

export function targetByName(name: string): TargetInfo {
  const t = targets.find((x) => x.name === name);
  if (!t) throw new Error(`unknown target "${name}"; known targets: ${targetNames.join(", ")}`);
  return t as unknown as TargetInfo;
}
