/**
 * Node pool facts and checks shared by the cloud targets: taint spellings, the architecture a
 * set of pools reports, the pool checks every schema needs (size bounds, unique names, a
 * system pool that is never empty), and whether kuar's own pods can schedule on the pools.
 */
import type { z } from "zod";
import { checkPools as checkPoolBounds, issuer } from "../../config/toolkit.js";

export { pathText } from "../../config/toolkit.js";

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Taint {
  key: string;
  value: string;
  effect: TaintEffect;
}

/** Kubernetes taint effects as the GKE and EKS APIs spell them. */
export const TAINT_EFFECT_ENUM: Record<TaintEffect, "NO_SCHEDULE" | "PREFER_NO_SCHEDULE" | "NO_EXECUTE"> = {
  NoSchedule: "NO_SCHEDULE",
  PreferNoSchedule: "PREFER_NO_SCHEDULE",
  NoExecute: "NO_EXECUTE",
};

/** `key=value:Effect` (or `key:Effect` without a value), as kubectl and AKS write taints. */
export function taintString(t: Taint): string {
  return t.value ? `${t.key}=${t.value}:${t.effect}` : `${t.key}:${t.effect}`;
}

/** One architecture rule for every target (providers/contract.ts). */
export { archOfPools } from "../contract.js";

/** A pool as the shared checks see it, whatever the cloud calls its fields. */
export interface PoolCheck {
  /** Config path of the pool, e.g. `["workloadPools", 0]`. */
  path: (string | number)[];
  name: string;
  min: number;
  max: number;
  /** A system pool must keep at least one node (cluster DNS and the cloud's add-ons run there). */
  system: boolean;
}

/** The cloud's field names, so messages name the fields the user writes. */
export interface PoolFields {
  /** The config section, `kuar:<section>` (aks, gke, eks), for the exact `pulumi config set` fix. */
  section: string;
  min: string;
  max: string;
}

/** Size bounds, unique names and a non-empty system pool, every problem reported (config/toolkit.ts). */
export function checkPools(ctx: z.RefinementCtx, pools: PoolCheck[], fields: PoolFields): void {
  checkPoolBounds(issuer(ctx), pools, fields);
}

/** A toleration as a pod spec writes it; an empty key with `Exists` tolerates everything. */
export interface Toleration {
  key?: string;
  operator?: "Equal" | "Exists";
  value?: string;
  effect?: TaintEffect;
}

/** Kubernetes' rule: a pod may schedule on a node when it tolerates every NoSchedule/NoExecute taint. */
export function tolerates(tolerations: Toleration[], taints: Taint[]): boolean {
  return taints
    .filter((t) => t.effect !== "PreferNoSchedule")
    .every((t) =>
      tolerations.some(
        (tol) =>
          (tol.effect === undefined || tol.effect === t.effect) &&
          (tol.operator === "Exists"
            ? tol.key === undefined || tol.key === t.key
            : tol.key === t.key && (tol.value ?? "") === t.value),
      ),
    );
}

/** Pools on which a pod with these tolerations may run (pools that can scale above zero only). */
export function schedulablePools<P extends { name: string; max: number; taints: Taint[] }>(
  pools: P[],
  tolerations: Toleration[] = [],
): P[] {
  return pools.filter((p) => p.max > 0 && tolerates(tolerations, p.taints));
}
