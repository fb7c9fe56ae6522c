/** The EKS target: `kuar:target: eks` with settings under `kuar:eks`. See docs/targets/eks.md. */
import { stackLabel } from "../../config/stack-file.js";
import { defineTarget } from "../target.js";
import { EksCluster } from "./cluster.js";
import { settings } from "./schema.js";

export { settings };

export const target = defineTarget({
  name: "eks",
  description:
    "Amazon EKS: own VPC, managed node groups (system + workload), access entries, IRSA, KMS-encrypted secrets",
  settings,
  create(name, s, ctx, opts) {
    return new EksCluster(
      name,
      { settings: s, clusterName: s.clusterName ?? `kuar-${stackLabel(ctx.stack)}`, ephemeral: ctx.ephemeral },
      opts,
    );
  },
});
