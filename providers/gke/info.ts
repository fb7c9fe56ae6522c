/**
 * What the registry needs of the gke target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { archOfPools, type Arch, type ClusterCapabilities } from "../contract.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "gke"> = {
  name: "gke",
  description:
    "Google Kubernetes Engine: VPC-native Standard cluster, private nodes, Workload Identity, autoscaled pools",
  settings,
  capabilities: (s) => capabilitiesOf([s.systemPool, ...s.workloadPools]),
  load: async () => (await import("./index.js")).target,
};

/**
 * What the cluster reports, from its pools alone: the config checks predict it with this before
 * any resource, and the cluster component reports the same.
 */
export function capabilitiesOf(pools: readonly { arch: Arch; minNodes: number }[]): ClusterCapabilities {
  return {
    loadBalancer: "cloud",
    defaultStorageClass: "standard-rwo",
    arch: archOfPools(pools),
    dns: true,
    metricsServer: true,
    online: true,
    runsContainers: true,
    nodes: Math.max(
      1,
      pools.reduce((n, p) => n + p.minNodes, 0),
    ),
  };
}
