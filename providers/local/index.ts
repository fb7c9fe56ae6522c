import { z } from "zod";
import { dnsLabel } from "../../config/fields.js";
import { stackLabel } from "../../config/stack-file.js";
import { toolchain } from "../../config/versions.js";
import { defineTarget } from "../target.js";
import { LocalCluster } from "./cluster.js";

export const settings = z.strictObject({
  /** kwok cluster name (also under ~/.kwok/clusters). @default "kuar-<stack>" */
  clusterName: dnsLabel.optional(),
  /** Simulated nodes. @default 3 */
  nodes: z.int().min(1).max(50).default(3),
});

export const target = defineTarget({
  name: "local",
  description: "A real control plane on this machine with kwok-simulated nodes (no cloud, no containers)",
  settings,
  create(name, s, ctx, opts) {
    return new LocalCluster(
      name,
      {
        clusterName: s.clusterName ?? `kuar-${stackLabel(ctx.stack)}`,
        nodes: s.nodes,
        kubeVersion: toolchain.kubernetes,
      },
      opts,
    );
  },
});
