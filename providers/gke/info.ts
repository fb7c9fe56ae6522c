/**
 * What kuar knows of the gke target without loading its cloud SDKs: name, description, the
 * settings schema and the capabilities its settings imply.
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
  knownCapabilities: known(),
  secretKeys: [],
  cloudConfig: { namespace: "gcp", mirrors: { "gcp:project": ["gke", "project"], "gcp:region": ["gke", "region"] } },
};

/**
 * What the cluster reports, from its pools alone: the config checks predict it with this before
 * any resource, and the cluster component reports the same.
 */
function known() {
  return {
    loadBalancer: "cloud",
    defaultStorageClass: "standard-rwo",
    dns: true,
    metricsServer: true,
    online: true,
    runsContainers: true,
  } as const satisfies Partial<ClusterCapabilities>;
}

export function capabilitiesOf(pools: readonly { arch: Arch; minNodes: number }[]): ClusterCapabilities {
  return {
    ...known(),
    arch: archOfPools(pools),
    nodes: Math.max(
      1,
      pools.reduce((n, p) => n + p.minNodes, 0),
    ),
  };
}
