/**
 * What the registry needs of the local target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { ClusterCapabilities } from "../contract.js";
import type { TargetInfo } from "../target.js";
import { STORAGE_CLASS } from "./kwok.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "local"> = {
  name: "local",
  description:
    "A real control plane on this machine with kwok-simulated nodes, and optional real nodes (kubelet + containerd, root only)",
  settings,
  capabilities: (s) => capabilitiesOf(s.nodes, s.realNodes),
  load: async () => (await import("./index.js")).target,
};

/** What a local cluster offers; real nodes run containers for real and count as nodes. */
export function capabilitiesOf(nodes: number, realNodes: number): ClusterCapabilities {
  return {
    loadBalancer: "none",
    defaultStorageClass: STORAGE_CLASS,
    arch: "amd64",
    dns: false,
    metricsServer: false,
    online: false,
    runsContainers: realNodes > 0,
    nodes: nodes + realNodes,
  };
}
