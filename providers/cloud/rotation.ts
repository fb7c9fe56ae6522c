/**
 * Node pool rotation without downtime: a pool's cloud name carries a short hash of the fields
 * the cloud cannot change on a running pool (its "keepers", as terraform-google-kubernetes-engine's
 * update-variant modules call them). Changing one changes the name, so Pulumi replaces the pool
 * create-before-delete: the new pool is up before the old one is deleted, and the old name is
 * never needed twice. Fields the cloud updates in place stay out of the hash.
 */
import { createHash } from "node:crypto";

/** JSON with sorted keys, so the hash does not depend on the order fields were written in. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Four lowercase hex characters (two bytes) that change whenever a keeper changes. */
export function rotationSuffix(keepers: Record<string, unknown>): string {
  return createHash("sha256").update(stable(keepers)).digest("hex").slice(0, 4);
}
