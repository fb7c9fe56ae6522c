/**
 * What kuar knows of the eks target without loading its cloud SDKs: name, description, the
 * settings schema and the capabilities its settings imply.
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
  knownCapabilities: { loadBalancer: "cloud" },
  secretKeys: [],
  cloudConfig: { namespace: "aws", mirrors: { "aws:region": ["eks", "region"] } },
};
