import { defaultClusterName } from "../../config/stack-file.js";
import { toolchain } from "../../config/versions.js";
import { defineTarget } from "../target.js";
import { LocalCluster } from "./cluster.js";
import { info } from "./info.js";

export const target = defineTarget({
  ...info,
  create(name, s, ctx, opts) {
    return new LocalCluster(
      name,
      {
        clusterName: s.clusterName ?? defaultClusterName(ctx.stack),
        nodes: s.nodes,
        realNodes: s.realNodes,
        images: s.images,
        kubeVersion: toolchain.kubernetes,
      },
      opts,
    );
  },
});
