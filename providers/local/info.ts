/**
 * What kuar knows of the local target before loading it: name, description, the settings schema
 * and the capabilities its settings imply.
 */
import type { ClusterCapabilities } from "../contract.js";
import type { TargetInfo } from "../target.js";
import { STORAGE_CLASS } from "./kwok.js";
import { settings } from "./schema.js";

/** What every local cluster reports; the cluster adds its node count and whether containers run. */
export const knownCapabilities = {
  loadBalancer: "none",
  defaultStorageClass: STORAGE_CLASS,
  arch: "amd64",
  dns: false,
  metricsServer: false,
  online: false,
} as const satisfies Partial<ClusterCapabilities>;

export const info: TargetInfo<typeof settings, "local"> = {
  name: "local",
  description:
    "A real control plane on this machine with kwok-simulated nodes, and optional real nodes (kubelet + containerd, root only)",
  settings,
  // Containers run only on real nodes; simulated and real nodes both count.
  capabilities: (s) => ({ ...knownCapabilities, runsContainers: s.realNodes > 0, nodes: s.nodes + s.realNodes }),
  knownCapabilities,
  secretKeys: [],
};
