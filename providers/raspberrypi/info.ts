/**
 * What kuar knows of the raspberrypi target before loading it: name, description, the settings
 * schema, the capabilities its settings imply and the secret it reads.
 */
import type { TargetInfo } from "../target.js";
import { archOfPools, type ClusterCapabilities } from "../contract.js";
import { fingerprintOf } from "./hostkey.js";
import { settings } from "./schema.js";

const known = {
  loadBalancer: "metallb",
  defaultStorageClass: "local-path",
  dns: true,
  metricsServer: true,
  online: true,
  runsContainers: true,
} as const satisfies Partial<ClusterCapabilities>;

export const info: TargetInfo<typeof settings, "raspberrypi"> = {
  name: "raspberrypi",
  description: "Raspberry Pis on your network turned into a k3s cluster over SSH",
  settings,
  capabilities: (s) => ({ ...known, arch: archOfPools(s.hosts), nodes: s.hosts.length }),
  knownCapabilities: known,
  /** A k3s cluster token to use instead of a generated one. */
  secretKeys: ["k3sToken"],
  // A pinned host key is compared by eye with `ssh-keygen -l` on the Pi: show its fingerprint.
  describeSetting: (path, value) =>
    path.endsWith("hostKey") && typeof value === "string" ? fingerprintOf(value) : undefined,
};
