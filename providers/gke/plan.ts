/**
 * Pure decisions of the GKE target, tested directly: node pool initial sizes and cloud names,
 * the maintenance policy in the API's shape, and what the engine versions the GKE API offers say
 * about the configured version or channel.
 */
import type { MaintenanceWindow } from "../cloud/maintenance.js";
import { rotationSuffix } from "../cloud/rotation.js";

/** Node pool initial size is per zone; a regional pool spreads over GKE's default three zones. */
export function initialNodes(minNodes: number, regional: boolean): number {
  return regional ? Math.ceil(minNodes / 3) : minNodes;
}

const RRULE_DAY: Record<string, string> = {
  Monday: "MO",
  Tuesday: "TU",
  Wednesday: "WE",
  Thursday: "TH",
  Friday: "FR",
  Saturday: "SA",
  Sunday: "SU",
};

/**
 * A kuar window as GKE's `recurringWindow`: start and end on a fixed past date (only the time
 * of day and the length count) and an RFC 5545 RRULE, all in UTC.
 */
export function maintenancePolicyOf(w: MaintenanceWindow): {
  recurringWindow: { startTime: string; endTime: string; recurrence: string };
} {
  const [h, m] = w.startTime.split(":").map(Number);
  const start = Date.UTC(2025, 0, 1, h ?? 0, m ?? 0);
  const end = start + w.durationHours * 3_600_000;
  const iso = (t: number) => new Date(t).toISOString().replace(/\.000Z$/, "Z");
  return {
    recurringWindow: {
      startTime: iso(start),
      endTime: iso(end),
      recurrence: w.day === "Daily" ? "FREQ=DAILY" : `FREQ=WEEKLY;BYDAY=${RRULE_DAY[w.day]}`,
    },
  };
}

/** What `gcp.container.getEngineVersions` answers that the check needs. */
export interface EngineVersions {
  validMasterVersions: string[];
  releaseChannelDefaultVersion: Record<string, string>;
}

/**
 * Problems of a version or channel against what GKE offers in the location, each naming the
 * field, the value, what is offered and the fix.
 */
export function versionProblems(
  s: { kubernetesVersion: string | undefined; releaseChannel: string; location: string; regional: boolean },
  offered: EngineVersions,
): string[] {
  const where = s.regional ? `--region ${s.location}` : `--zone ${s.location}`;
  if (s.kubernetesVersion !== undefined) {
    if (offered.validMasterVersions.includes(s.kubernetesVersion)) return [];
    const minor = s.kubernetesVersion.split(".").slice(0, 2).join(".") + ".";
    const same = offered.validMasterVersions.filter((v) => v.startsWith(minor)).slice(0, 3);
    const latest = offered.validMasterVersions.slice(0, 3);
    return [
      `kuar:gke.kubernetesVersion: GKE does not offer "${s.kubernetesVersion}" in ${s.location}` +
        ` (offered: ${(same.length > 0 ? same : latest).join(", ") || "none"}${same.length > 0 ? ", ..." : ""}).` +
        ` Run: gcloud container get-server-config ${where} and pick a validMasterVersions entry, e.g.` +
        ` pulumi config set --path 'kuar:gke.kubernetesVersion' ${(same[0] ?? latest[0]) || "<version>"}.`,
    ];
  }
  if (s.releaseChannel !== "UNSPECIFIED" && !offered.releaseChannelDefaultVersion[s.releaseChannel]) {
    return [
      `kuar:gke.releaseChannel: GKE offers no ${s.releaseChannel} version in ${s.location}` +
        ` (channels: ${Object.keys(offered.releaseChannelDefaultVersion).join(", ") || "none"}).` +
        ` Run: gcloud container get-server-config ${where}, then pulumi config set --path 'kuar:gke.releaseChannel' <channel>.`,
    ];
  }
  return [];
}

/** The label every node of a pool carries with the pool's configured name, stable across rotations. */
export const POOL_LABEL = "kuar.io/node-pool";

/**
 * The node config fields kuar sets that GKE cannot change on a running pool (ForceNew in the
 * provider; terraform-google-kubernetes-engine's update-variant lists the same as keepers):
 * spot and the node service account. Machine type, disk size and disk type are not among them:
 * GKE changes those in place with a surge upgrade (ForceNew dropped in terraform-provider-google
 * 5.10.0, GoogleCloudPlatform/magic-modules#9575), which drains nodes within PodDisruptionBudgets.
 */
export function poolKeepers(pool: { spot: boolean }, nodeAccountId: string): Record<string, unknown> {
  return { spot: pool.spot, serviceAccount: nodeAccountId };
}

/**
 * A pool's GKE name: the configured name and a suffix that changes with the keepers, so a change
 * GKE cannot make in place creates the replacement under a new name before the old pool goes.
 * 35 + 5 characters fit GKE's 40.
 */
export function gkePoolName(pool: { name: string; spot: boolean }, nodeAccountId: string): string {
  return `${pool.name}-${rotationSuffix(poolKeepers(pool, nodeAccountId))}`;
}
