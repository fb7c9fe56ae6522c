/**
 * What the registry needs of the raspberrypi target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { archOfPools } from "../contract.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "raspberrypi"> = {
  name: "raspberrypi",
  description: "Raspberry Pis on your network turned into a k3s cluster over SSH",
  settings,
  capabilities: (s) => ({
    loadBalancer: "metallb",
    defaultStorageClass: "local-path",
    arch: archOfPools(s.hosts),
    dns: true,
    metricsServer: true,
    online: true,
    runsContainers: true,
    nodes: s.hosts.length,
  }),
  load: async () => (await import("./index.js")).target,
};
