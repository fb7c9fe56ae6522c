import { z } from "zod";
import { dnsLabel } from "../../config/fields.js";
import { defineTarget } from "../target.js";

export const settings = z.strictObject({
  /** kwok cluster name. @default "kuar-<stack>" */
  clusterName: dnsLabel.optional(),
  /** Simulated nodes. @default 3 */
  nodes: z.int().min(1).max(50).default(3),
});

export const target = defineTarget({
  name: "local",
  description: "A real control plane on this machine with kwok-simulated nodes (no cloud, no containers)",
  settings,
  create() {
    throw new Error("the local target is not built yet");
  },
});
