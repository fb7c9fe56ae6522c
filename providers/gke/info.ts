/**
 * What the registry needs of the gke target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "gke"> = {
  name: "gke",
  description:
    "Google Kubernetes Engine: VPC-native Standard cluster, private nodes, Workload Identity, autoscaled pools",
  settings,
  load: async () => (await import("./index.js")).target,
};
