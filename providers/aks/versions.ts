/**
 * Kubernetes minors on AKS, recorded because @pulumi/azure-native 3.28.0 has no function that
 * lists them (containerservice offers no `listKubernetesVersions`); `az aks get-versions
 * --location <region>` is the live answer.
 *
 * Source: MicrosoftDocs/azure-aks-docs, articles/aks/supported-kubernetes-versions.md (commit
 * 031ed68, the release calendar as of March 2025): end of life per minor; AKS refuses cluster
 * creation on a minor past its end of life (the page's platform-support table: "Cluster
 * creation: Not Supported").
 */

/** Recorded end of life (year-month) per minor. */
export const AKS_END_OF_LIFE: Record<string, string> = {
  "1.28": "2025-01",
  "1.29": "2025-03",
  "1.30": "2025-07",
  "1.31": "2025-11",
  "1.32": "2026-03",
};

/** When the table above was read. */
export const AKS_VERSIONS_RECORDED = "2025-03";

/** The oldest minor the recorded calendar still lists as supported on its date. */
export const AKS_OLDEST_MINOR = "1.29";

/** "1.33.2" -> [1, 33]. */
function minorOf(v: string): [number, number] {
  const [major, minor] = v.split(".").map(Number);
  return [major ?? 0, minor ?? 0];
}

/** True when `version`'s minor is older than the oldest one AKS still created clusters on when the calendar was recorded. */
export function pastEndOfLife(version: string): boolean {
  const [ma, mi] = minorOf(version);
  const [oa, oi] = minorOf(AKS_OLDEST_MINOR);
  return ma < oa || (ma === oa && mi < oi);
}
