/**
 * What the registry needs of the aks target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { archOfPools, type Arch, type ClusterCapabilities } from "../contract.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "aks"> = {
  name: "aks",
  description:
    "Azure Kubernetes Service: CNI Overlay in its own VNet, Entra ID with Azure RBAC, Workload Identity, autoscaled and spot pools",
  settings,
  capabilities: (s) => capabilitiesOf([s.systemPool, ...s.workloadPools]),
  load: async () => (await import("./index.js")).target,
};

/**
 * What the cluster reports, from its pools alone: the config checks predict it with this before
 * any resource, and the cluster component reports the same.
 */
export function capabilitiesOf(pools: readonly { arch: Arch; minCount: number }[]): ClusterCapabilities {
  return {
    loadBalancer: "cloud",
    defaultStorageClass: "managed-csi",
    arch: archOfPools(pools),
    dns: true,
    metricsServer: true,
    online: true,
    runsContainers: true,
    nodes: Math.max(
      1,
      pools.reduce((n, p) => n + p.minCount, 0),
    ),
  };
}
