/**
 * What the registry needs of the local target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "local"> = {
  name: "local",
  description:
    "A real control plane on this machine with kwok-simulated nodes, and optional real nodes (kubelet + containerd, root only)",
  settings,
  load: async () => (await import("./index.js")).target,
};
