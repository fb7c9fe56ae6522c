/**
 * What the registry needs of the local target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { STORAGE_CLASS } from "./kwok.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "local"> = {
  name: "local",
  description:
    "A real control plane on this machine with kwok-simulated nodes, and optional real nodes (kubelet + containerd, root only)",
  settings,
  capabilities: (s) => ({
    loadBalancer: "none",
    defaultStorageClass: STORAGE_CLASS,
    arch: "amd64",
    dns: false,
    metricsServer: false,
    online: false,
    runsContainers: false,
    nodes: s.nodes,
  }),
  load: async () => (await import("./index.js")).target,
};
