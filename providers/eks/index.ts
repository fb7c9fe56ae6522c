/** The EKS target: `kuar:target: eks` with settings under `kuar:eks`. See docs/targets/eks.md. */
import { defaultClusterName } from "../../config/stack-file.js";
import { defineTarget } from "../target.js";
import { EksCluster } from "./cluster.js";
import { info } from "./info.js";
import { settings } from "./schema.js";

export { settings };

export const target = defineTarget({
  ...info,
  create(name, s, ctx, opts) {
    return new EksCluster(
      name,
      { settings: s, clusterName: s.clusterName ?? defaultClusterName(ctx.stack, 100), ephemeral: ctx.ephemeral },
      opts,
    );
  },
});
