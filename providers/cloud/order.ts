/**
 * Destroy order, the same on every cloud. Pulumi deletes in the reverse of the dependency
 * graph, so the tiers are created in this order and each depends on every tier before it:
 *
 *   cluster  <-  pools  <-  add-ons  <-  Kubernetes provider  <-  Kubernetes objects
 *
 * Kubernetes objects (LoadBalancer Services, Gateways, PVCs) use the provider, so they go
 * first on destroy, while the controllers that release their cloud load balancers and disks
 * still run; then add-ons, then pools, then the cluster.
 */
import type * as pulumi from "@pulumi/pulumi";

export const DESTROY_TIERS = ["objects", "provider", "addons", "pools", "cluster"] as const;
export type Tier = (typeof DESTROY_TIERS)[number];

/** What a tier must depend on: every resource of the tiers created before it. */
export function after(...earlier: (pulumi.Resource | undefined)[][]): pulumi.Resource[] {
  return earlier.flat().filter((r): r is pulumi.Resource => r !== undefined);
}
