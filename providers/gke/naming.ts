/** Names of GKE-side resources, derived so two stacks or two clusters never collide. */
import { createHash } from "node:crypto";
import { defaultClusterName as clusterName, fit } from "../cloud/naming.js";

/** `kuar-<stack>`, cut to GKE's 40 characters. */
export function defaultClusterName(stack: string): string {
  return clusterName(stack, 40);
}

/**
 * The node service account's id: 6-30 characters. Long cluster names are cut and get a short
 * hash of the full name, so two long names with a common prefix still differ.
 */
export function nodeAccountId(clusterName: string): string {
  const id = `${clusterName}-nodes`;
  if (id.length <= 30) return id.length >= 6 ? id : `${id}-sa`;
  const hash = createHash("sha256").update(clusterName).digest("hex").slice(0, 6);
  return `${fit(clusterName, 30 - "-abcdef-n".length)}-${hash}-n`;
}
