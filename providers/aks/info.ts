/**
 * What kuar knows of the aks target without loading its cloud SDKs: name, description, the
 * settings schema and the capabilities its settings imply.
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
  knownCapabilities: known(),
  secretKeys: [],
  cloudConfig: { namespace: "azure-native", mirrors: { "azure-native:location": ["aks", "location"] } },
};

/**
 * What the cluster reports, from its pools alone: the config checks predict it with this before
 * any resource, and the cluster component reports the same.
 */
function known() {
  return {
    loadBalancer: "cloud",
    defaultStorageClass: "managed-csi",
    dns: true,
    metricsServer: true,
    online: true,
    runsContainers: true,
  } as const satisfies Partial<ClusterCapabilities>;
}

export function capabilitiesOf(pools: readonly { arch: Arch; minCount: number }[]): ClusterCapabilities {
  return {
    ...known(),
    arch: archOfPools(pools),
    nodes: Math.max(
      1,
      pools.reduce((n, p) => n + p.minCount, 0),
    ),
  };
}
