import { defaultClusterName } from "../../config/stack-file.js";
import { isAbsolute, resolve } from "node:path";
import { defineTarget } from "../target.js";
import { RaspberryPiCluster } from "./cluster.js";
import { nodeSpecs } from "./inventory.js";
import { info } from "./info.js";
import { settings } from "./schema.js";

export { settings };

export const target = defineTarget({
  ...info,
  create(name, s, ctx, opts) {
    // Relative bundle paths are relative to the project root, where Pulumi runs the program.
    const bundle =
      s.airgapBundleDir && (isAbsolute(s.airgapBundleDir) ? s.airgapBundleDir : resolve(s.airgapBundleDir));
    return new RaspberryPiCluster(
      name,
      {
        clusterName: s.clusterName ?? defaultClusterName(ctx.stack),
        nodes: nodeSpecs(s, bundle),
        ...(ctx.secrets.k3sToken ? { token: ctx.secrets.k3sToken } : {}),
        ...(s.apiServerEndpoint ? { apiServerEndpoint: s.apiServerEndpoint } : {}),
      },
      opts,
    );
  },
});
