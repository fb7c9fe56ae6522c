/**
 * Pure decisions of the AKS target, tested directly: taints per pool, the deployer's principal
 * type, role definition ids, maintenance schedules in ARM's shape, workload pool names and the
 * system pool fields AKS refuses to change in place.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MaintenanceWindow } from "../cloud/maintenance.js";
import { rotationSuffix } from "../cloud/rotation.js";
import { taintString, type Taint } from "../cloud/pools.js";
import type { KubeloginMode } from "./kubeconfig.js";

/** Built-in role ids (the same in every tenant). */
export const ROLES = {
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  rbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693888a4ed7",
} as const;

/** AKS taints spot nodes with this; declaring it keeps the pool's taints free of drift. */
export const SPOT_TAINT: Taint = { key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" };
export const CRITICAL_ADDONS_TAINT: Taint = { key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" };

/** Every taint a pool's nodes carry: the ones AKS or kuar add, then the configured ones. */
export function poolTaints(
  pool: { taints: Taint[]; spot: boolean; mode: "System" | "User" },
  criticalAddonsOnly: boolean,
): Taint[] {
  const first = pool.mode === "System" ? (criticalAddonsOnly ? [CRITICAL_ADDONS_TAINT] : []) : [];
  return [...first, ...(pool.spot ? [SPOT_TAINT] : []), ...pool.taints];
}

/** `key=value:Effect` strings, as `nodeTaints` takes them. */
export function taintsOf(taints: Taint[]): string[] {
  return taints.map(taintString);
}

export type PrincipalType = "User" | "ServicePrincipal";

/**
 * The principal type of whoever runs Pulumi, as a RoleAssignment must state it: ARM refuses an
 * assignment whose principalType does not match the principal (UnmatchedPrincipalType), and
 * the API's default is User. kubelogin's non-interactive modes sign in as a service principal
 * (a managed identity is one too); az CLI is a person unless said otherwise.
 */
export function principalTypeOf(mode: KubeloginMode): PrincipalType {
  return mode === "azurecli" ? "User" : "ServicePrincipal";
}

/** A built-in role's definition id in a subscription (`/subscriptions/<id>`). */
export function roleDefinition(subscription: pulumi.Input<string>, roleId: string): pulumi.Output<string> {
  return pulumi.interpolate`${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

/** `/subscriptions/<id>/resourceGroups/...` -> `/subscriptions/<id>`. */
export function subscriptionOf(resourceId: string): string {
  const m = /^\/subscriptions\/[^/]+/i.exec(resourceId);
  if (!m) throw new Error(`not an Azure resource id: "${resourceId}"`);
  return m[0];
}

/** The two maintenance configurations AKS reads by name: cluster upgrades and node OS images. */
export const MAINTENANCE_CONFIGS = ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"] as const;

/** A kuar window as ARM's `maintenanceWindow` (UTC; durationHours 4 to 24). */
export function maintenanceWindowOf(w: MaintenanceWindow) {
  return {
    durationHours: w.durationHours,
    startTime: w.startTime,
    utcOffset: "+00:00",
    schedule: w.day === "Daily" ? { daily: { intervalDays: 1 } } : { weekly: { dayOfWeek: w.day, intervalWeeks: 1 } },
  };
}

/** The system pool fields AKS cannot change on an existing pool (agentPoolProfiles is an in-place PUT). */
export const SYSTEM_POOL_FIXED = [
  { field: "vmSize", live: "vmSize" },
  { field: "osDiskSizeGB", live: "osDiskSizeGB" },
  { field: "osDiskType", live: "osDiskType" },
  { field: "osSku", live: "osSKU" },
] as const;

export interface LivePool {
  vmSize?: string | undefined;
  osDiskSizeGB?: number | undefined;
  osDiskType?: string | undefined;
  osSKU?: string | undefined;
}

/** Each fixed field whose configured value differs from the running system pool. */
export function systemPoolChanges(
  live: LivePool,
  wanted: { vmSize: string; osDiskSizeGB: number; osDiskType: string; osSku: string },
): { field: string; live: string; wanted: string }[] {
  return SYSTEM_POOL_FIXED.flatMap(({ field, live: key }) => {
    const was = live[key];
    const now = wanted[field];
    return was !== undefined && String(was) !== String(now) ? [{ field, live: String(was), wanted: String(now) }] : [];
  });
}

/** The error for a refused system pool change: every field, and both ways out. */
export function systemPoolChangeError(
  pool: string,
  changes: { field: string; live: string; wanted: string }[],
): string {
  const lines = changes.map(
    (c) =>
      `kuar:aks.systemPool.${c.field}: AKS cannot change it on the running system pool "${pool}" (running ${c.live}, configured ${c.wanted}).`,
  );
  const back = changes.map((c) => `pulumi config set --path 'kuar:aks.systemPool.${c.field}' ${c.live}`).join("; ");
  return [
    ...lines,
    `To keep the pool, set it back: ${back}.`,
    "To rotate it: az aks nodepool add --mode System --name <new> with the new values; " +
      `kubectl drain -l kubernetes.azure.com/agentpool=${pool} --ignore-daemonsets --delete-emptydir-data; ` +
      `az aks nodepool delete --name ${pool}; pulumi config set --path 'kuar:aks.systemPool.name' <new> ` +
      "(and the new values); pulumi refresh; pulumi up. See docs/targets/aks.md (Changing the system pool).",
  ].join("\n");
}

/** The label every node of a pool carries with the pool's configured name, stable across rotations. */
export const POOL_LABEL = "kuar.io/node-pool";

/**
 * Agent pool fields AKS cannot change on a running pool; a change needs a new pool (AKS: "You
 * can't change the VM size of a node pool after you create it", and the same for the OS disk,
 * zones and priority). kuar replaces the pool when one changes (replaceOnChanges).
 */
export const POOL_FIXED_FIELDS = [
  "vmSize",
  "osDiskSizeGB",
  "osDiskType",
  "osSKU",
  "availabilityZones",
  "scaleSetPriority",
] as const;

export function poolKeepers(p: {
  vmSize: string;
  osDiskSizeGB: number;
  osDiskType: string;
  osSku: string;
  availabilityZones: string[];
  spot: boolean;
}): Record<string, unknown> {
  return {
    vmSize: p.vmSize,
    osDiskSizeGB: p.osDiskSizeGB,
    osDiskType: p.osDiskType,
    osSKU: p.osSku,
    availabilityZones: [...p.availabilityZones].sort(),
    scaleSetPriority: p.spot ? "Spot" : "Regular",
  };
}

/**
 * A workload pool's AKS name: the configured name (at most 8 characters) and 4 hex characters
 * that change with the fixed fields, within AKS's 12 lowercase letters and digits. A change AKS
 * cannot make in place then creates the new pool under its new name before the old one goes.
 */
export function aksPoolName(p: Parameters<typeof poolKeepers>[0] & { name: string }): string {
  return `${p.name}${rotationSuffix(poolKeepers(p))}`;
}
