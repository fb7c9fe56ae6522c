/**
 * What the registry needs of the aks target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { archOfPools } from "../contract.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "aks"> = {
  name: "aks",
  description:
    "Azure Kubernetes Service: CNI Overlay in its own VNet, Entra ID with Azure RBAC, Workload Identity, autoscaled and spot pools",
  settings,
  capabilities: (s) => {
    const pools = [s.systemPool, ...s.workloadPools];
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
  },
  load: async () => (await import("./index.js")).target,
};
