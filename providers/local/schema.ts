/** Stack config of the local target (`kuar:local`). */
import { z } from "zod";
import { dnsLabel } from "../../config/fields.js";

export const settings = z.strictObject({
  /** kwok cluster name (also under ~/.kwok/clusters). @default "kuar-<stack>" */
  clusterName: dnsLabel.optional(),
  /** Simulated nodes. @default 3 */
  nodes: z.int().min(1).max(50).default(3),
});
