import { defaultClusterName, protection } from "../cloud/naming.js";
import { defineTarget } from "../target.js";
import { AksCluster } from "./cluster.js";
import { info } from "./info.js";
import { settings } from "./schema.js";

export { settings };

/** `kuar-<stack>`: a valid resource group and cluster name for any stack. */
export function defaultName(stack: string): string {
  return defaultClusterName(stack, 63);
}

/** A DNS prefix from a cluster name: no underscores, at most 54 characters, alphanumeric at both ends. */
export function dnsPrefixOf(clusterName: string): string {
  return clusterName
    .replace(/_/g, "-")
    .slice(0, 54)
    .replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, "");
}

export const target = defineTarget({
  ...info,
  create(name, s, ctx, opts) {
    const clusterName = s.clusterName ?? defaultName(ctx.stack);
    return new AksCluster(
      name,
      {
        location: s.location,
        resourceGroup: s.existingResourceGroup
          ? { name: s.existingResourceGroup, create: false }
          : { name: s.resourceGroupName ?? defaultName(ctx.stack), create: true },
        clusterName,
        dnsPrefix: s.dnsPrefix ?? dnsPrefixOf(clusterName),
        skuTier: s.skuTier,
        network: s.network,
        podCidr: s.podCidr,
        serviceCidr: s.serviceCidr,
        dnsServiceIP: s.dnsServiceIP,
        networkPolicy: s.networkPolicy,
        systemPool: s.systemPool,
        systemPoolCriticalAddonsOnly: s.systemPoolCriticalAddonsOnly,
        workloadPools: s.workloadPools,
        kubernetesVersion: s.kubernetesVersion,
        autoUpgradeChannel: s.autoUpgradeChannel,
        nodeOsUpgradeChannel: s.nodeOsUpgradeChannel,
        privateCluster: s.privateCluster,
        authorizedIpRanges: s.authorizedIpRanges,
        adminGroupObjectIds: s.adminGroupObjectIds,
        grantDeployerClusterAdmin: s.grantDeployerClusterAdmin,
        deployerPrincipalType: s.deployerPrincipalType,
        kubeloginMode: s.kubeloginMode,
        maintenanceWindow: s.maintenanceWindow,
        nodeAutoProvisioning: s.nodeAutoProvisioning,
        deletionProtection: protection(s.deletionProtection, ctx.ephemeral).protect,
        tags: s.tags,
      },
      opts,
    );
  },
});
