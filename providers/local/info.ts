/**
 * What the registry needs of the local target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "local"> = {
  name: "local",
  description: "A real control plane on this machine with kwok-simulated nodes (no cloud, no containers)",
  settings,
  load: async () => (await import("./index.js")).target,
};
