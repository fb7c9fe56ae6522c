/**
 * What the registry needs of the eks target without loading its cloud SDKs: name, description,
 * the settings schema, and how to load the rest.
 */
import type { TargetInfo } from "../target.js";
import { settings } from "./schema.js";

export const info: TargetInfo<typeof settings, "eks"> = {
  name: "eks",
  description:
    "Amazon EKS: own VPC, managed node groups (system + workload), access entries, IRSA, KMS-encrypted secrets",
  settings,
  load: async () => (await import("./index.js")).target,
};
