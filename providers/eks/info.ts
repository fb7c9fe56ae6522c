/**
 * What the registry needs of the eks target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { capabilitiesFor } from "./plan.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "eks"> = {
  name: "eks",
  description:
    "Amazon EKS: own VPC, managed node groups (system + workload), access entries, IRSA, KMS-encrypted secrets",
  settings,
  capabilities: (s) => capabilitiesFor(s),
  load: async () => (await import("./index.js")).target,
};
