import { protection } from "../cloud/naming.js";
import { defineTarget } from "../target.js";
import { GkeCluster } from "./cluster.js";
import { defaultClusterName } from "./naming.js";
import { info } from "./info.js";
import { settings } from "./schema.js";

export { settings };

export const target = defineTarget({
  ...info,
  create(name, s, ctx, opts) {
    return new GkeCluster(
      name,
      {
        project: s.project,
        location: s.location,
        region: s.region,
        regional: s.regional,
        clusterName: s.clusterName ?? defaultClusterName(ctx.stack),
        network: s.network,
        pools: [s.systemPool, ...s.workloadPools],
        kubernetesVersion: s.kubernetesVersion,
        releaseChannel: s.releaseChannel,
        privateNodes: s.privateNodes,
        privateEndpoint: s.privateEndpoint,
        masterAuthorizedNetworks: s.masterAuthorizedNetworks,
        masterCidr: s.masterCidr,
        deletionProtection: protection(true, ctx.ephemeral).deletionProtection,
        resourceLabels: s.resourceLabels,
        kubeconfigAuth: s.kubeconfigAuth,
        maintenanceWindow: s.maintenanceWindow,
        nodeAutoProvisioning: s.nodeAutoProvisioning,
      },
      opts,
    );
  },
});
