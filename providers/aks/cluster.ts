/**
 * The AKS target's cluster: Azure CNI Overlay in its own VNet (or an existing subnet), a
 * user-assigned control plane identity, Entra ID with Azure RBAC and no local accounts, OIDC
 * issuer and Workload Identity, a system pool and autoscaled workload pools. See docs/targets/aks.md.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MaintenanceWindow } from "../cloud/maintenance.js";
import { after } from "../cloud/order.js";
import type { ClusterCapabilities, KubernetesCluster } from "../contract.js";
import { caFromUserCredentials, renderKubeconfig, type KubeloginMode } from "./kubeconfig.js";
import {
  aksPoolName,
  MAINTENANCE_CONFIGS,
  maintenanceWindowOf,
  POOL_FIXED_FIELDS,
  POOL_LABEL,
  poolTaints,
  roleDefinition,
  ROLES,
  subscriptionOf,
  systemPoolChangeError,
  systemPoolChanges,
  taintsOf,
  type LivePool,
  type PrincipalType,
} from "./plan.js";
import type { AksNetwork, ResolvedPool, UpgradeChannel } from "./schema.js";
import { capabilitiesOf } from "./info.js";

/** Every field is resolved by the schema (providers/aks/schema.ts); the component adds no defaults. */
export interface AksClusterArgs {
  /** Azure region. */
  location: string;
  /** The resource group, and whether kuar creates it. */
  resourceGroup: { name: string; create: boolean };
  /** AKS cluster name. */
  clusterName: string;
  /** DNS prefix of the API server FQDN. */
  dnsPrefix: string;
  /** Control plane tier. */
  skuTier: "Free" | "Standard" | "Premium";
  /** A VNet to create, or an existing subnet to join. */
  network: AksNetwork;
  /** Overlay Pod range. */
  podCidr: string;
  /** Service range. */
  serviceCidr: string;
  /** Cluster DNS ClusterIP. */
  dnsServiceIP: string;
  /** Network policy engine; "cilium" also selects the Cilium dataplane. */
  networkPolicy: "cilium" | "azure" | "calico" | "none";
  /** The system pool (inline in the ManagedCluster). */
  systemPool: ResolvedPool;
  /** Taint the system pool CriticalAddonsOnly=true:NoSchedule (the schema turns it off without workload pools). */
  systemPoolCriticalAddonsOnly: boolean;
  /** Workload pools (separate AgentPool resources). */
  workloadPools: ResolvedPool[];
  /** Kubernetes version pin ("1.33" or "1.33.2"), or undefined to follow the channel. */
  kubernetesVersion: string | undefined;
  /** Cluster auto-upgrade channel. */
  autoUpgradeChannel: UpgradeChannel;
  /** Node OS upgrade channel. */
  nodeOsUpgradeChannel: "NodeImage" | "SecurityPatch" | "Unmanaged" | "None";
  /** API server on a private IP only. */
  privateCluster: boolean;
  /** Ranges allowed to reach a public API server ([] = any). */
  authorizedIpRanges: string[];
  /** Entra ID groups whose members are cluster admins. */
  adminGroupObjectIds: string[];
  /** Grant the deploying identity AKS RBAC Cluster Admin on the cluster. */
  grantDeployerClusterAdmin: boolean;
  /** Principal type of the deploying identity, as its role assignment states it. */
  deployerPrincipalType: PrincipalType;
  /** kubelogin sign-in mode of the kubeconfig. */
  kubeloginMode: KubeloginMode;
  /** When AKS may upgrade the cluster and node images, or undefined for any time. */
  maintenanceWindow: MaintenanceWindow | undefined;
  /** AKS node auto-provisioning (nodeProvisioningProfile mode Auto); pools then keep a fixed size. */
  nodeAutoProvisioning: boolean;
  /** Delete lock plus Pulumi protection of the cluster. */
  deletionProtection: boolean;
  /** Tags on every Azure resource (managed-by: kuar is added). */
  tags: Record<string, string>;
}

export class AksCluster extends pulumi.ComponentResource implements KubernetesCluster {
  readonly name: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly capabilities: ClusterCapabilities;
  /** The ManagedCluster's Azure resource id. */
  readonly clusterId: pulumi.Output<string>;
  /** Issuer URL for Workload Identity federated credentials. */
  readonly oidcIssuerUrl: pulumi.Output<string | undefined>;
  /** The underlying ManagedCluster. */
  readonly managedCluster: containerservice.ManagedCluster;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:AksCluster", name, {}, opts);
    const { location, clusterName, systemPool, workloadPools, networkPolicy } = args;
    const pools = [systemPool, ...workloadPools];
    const privateCluster = args.privateCluster;
    const authorized = args.authorizedIpRanges;
    const pinned = args.kubernetesVersion;
    const protect = args.deletionProtection;
    const tags = { ...args.tags, "managed-by": "kuar" };

    // Nothing registers until the running system pool accepts the configured one: every
    // resource hangs off the resource group name, which waits for the check.
    const checked = this.checkSystemPool(args);
    const rg = args.resourceGroup.create
      ? new resources.ResourceGroup(
          `${name}-rg`,
          { resourceGroupName: checked.apply(() => args.resourceGroup.name), location, tags },
          { parent: this },
        )
      : undefined;
    const resourceGroupName = rg ? rg.name : checked.apply(() => args.resourceGroup.name);

    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      { resourceName: `${clusterName}-control-plane`, resourceGroupName, location, tags },
      { parent: this },
    );

    // Who runs Pulumi, and in which subscription: role definition ids are subscription-scoped.
    const client = authorization.getClientConfigOutput({ parent: this });
    const subnetId = this.buildNetwork(name, args.network, resourceGroupName, location, clusterName, tags);
    const subnetSubscription =
      args.network.kind === "existing"
        ? pulumi.output(subscriptionOf(args.network.subnetId))
        : client.subscriptionId.apply((id) => `/subscriptions/${id}`);
    // The control plane manages load balancers and reads the subnet; without this the first
    // Service of type LoadBalancer fails.
    const subnetAccess = new authorization.RoleAssignment(
      `${name}-subnet-access`,
      {
        scope: subnetId,
        principalId: identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: roleDefinition(subnetSubscription, ROLES.networkContributor),
        description: `AKS ${clusterName} control plane manages its load balancers in this subnet (kuar)`,
      },
      { parent: this },
    );

    // AKS refuses node auto-provisioning beside the cluster autoscaler: pools then keep minCount.
    const autoscale = !args.nodeAutoProvisioning;
    const poolProfile = (p: ResolvedPool) => ({
      vmSize: p.vmSize,
      count: p.minCount,
      enableAutoScaling: autoscale,
      minCount: autoscale ? p.minCount : undefined,
      maxCount: autoscale ? p.maxCount : undefined,
      osDiskSizeGB: p.osDiskSizeGB,
      osDiskType: p.osDiskType,
      osSKU: p.osSku,
      osType: "Linux",
      type: "VirtualMachineScaleSets",
      vnetSubnetID: subnetId,
      availabilityZones: p.availabilityZones.length > 0 ? p.availabilityZones : undefined,
      nodeLabels: { ...p.labels, [POOL_LABEL]: p.name },
      orchestratorVersion: pinned,
      enableNodePublicIP: false,
      ...(p.spot
        ? { scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1 }
        : { upgradeSettings: { maxSurge: "33%" } }),
    });

    const cluster = new containerservice.ManagedCluster(
      `${name}-cluster`,
      {
        resourceName: clusterName,
        resourceGroupName,
        location,
        dnsPrefix: args.dnsPrefix,
        sku: { name: "Base", tier: args.skuTier },
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        kubernetesVersion: pinned,
        autoUpgradeProfile: {
          upgradeChannel: args.autoUpgradeChannel,
          nodeOSUpgradeChannel: args.nodeOsUpgradeChannel,
        },
        nodeProvisioningProfile: { mode: args.nodeAutoProvisioning ? "Auto" : "Manual" },
        agentPoolProfiles: [
          {
            ...poolProfile(systemPool),
            name: systemPool.name,
            mode: "System",
            nodeTaints: taintsOf(poolTaints(systemPool, args.systemPoolCriticalAddonsOnly)),
          },
        ],
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkPolicy,
          networkDataplane: networkPolicy === "cilium" ? "cilium" : "azure",
          podCidr: args.podCidr,
          serviceCidr: args.serviceCidr,
          dnsServiceIP: args.dnsServiceIP,
          loadBalancerSku: "standard",
          outboundType: "loadBalancer",
        },
        apiServerAccessProfile: {
          enablePrivateCluster: privateCluster,
          authorizedIPRanges: !privateCluster && authorized.length > 0 ? authorized : undefined,
        },
        enableRBAC: true,
        disableLocalAccounts: true,
        aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: args.adminGroupObjectIds },
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true }, imageCleaner: { enabled: true, intervalHours: 168 } },
        storageProfile: {
          diskCSIDriver: { enabled: true },
          fileCSIDriver: { enabled: true },
          snapshotController: { enabled: true },
        },
        supportPlan: "KubernetesOfficial",
        tags,
      },
      {
        parent: this,
        dependsOn: [subnetAccess],
        protect,
        // The autoscaler owns the node count after creation.
        ignoreChanges: ["agentPoolProfiles[0].count"],
      },
    );

    const agentPools = workloadPools.map(
      (p) =>
        new containerservice.AgentPool(
          `${name}-pool-${p.name}`,
          {
            ...poolProfile(p),
            agentPoolName: aksPoolName(p),
            resourceName: cluster.name,
            resourceGroupName,
            mode: "User",
            nodeTaints: taintsOf(poolTaints(p, false)),
            tags,
          },
          {
            parent: this,
            // AKS cannot change these on a pool, so a change replaces it. The name carries their
            // hash (aksPoolName), so the new pool is created first and the old one is deleted
            // after, AKS evicting its pods within their PodDisruptionBudgets. docs/targets/aks.md.
            replaceOnChanges: [...POOL_FIXED_FIELDS, "agentPoolName"],
            deleteBeforeReplace: false,
            ignoreChanges: ["count"],
          },
        ),
    );

    const deployerAdmin = args.grantDeployerClusterAdmin
      ? new authorization.RoleAssignment(
          `${name}-deployer-admin`,
          {
            scope: cluster.id,
            principalId: client.objectId,
            // ARM's default is User; a service principal or managed identity then fails with UnmatchedPrincipalType.
            principalType: args.deployerPrincipalType,
            roleDefinitionId: roleDefinition(
              client.subscriptionId.apply((id) => `/subscriptions/${id}`),
              ROLES.rbacClusterAdmin,
            ),
            description: `The identity that deploys ${clusterName} with kuar administers it`,
          },
          { parent: this },
        )
      : undefined;

    // Add-ons of the cluster that are separate ARM resources: maintenance schedules.
    const window = args.maintenanceWindow;
    const addons = window
      ? MAINTENANCE_CONFIGS.map(
          (configName) =>
            new containerservice.MaintenanceConfiguration(
              `${name}-${configName}`,
              {
                configName,
                resourceGroupName,
                resourceName: cluster.name,
                maintenanceWindow: maintenanceWindowOf(window),
              },
              { parent: this, dependsOn: agentPools },
            ),
        )
      : [];

    if (protect) this.lock(name, rg, cluster, [...agentPools, ...addons], clusterName);

    const ca = containerservice
      .listManagedClusterUserCredentialsOutput(
        { resourceGroupName, resourceName: cluster.name, format: "exec" },
        { parent: this },
      )
      .apply((r) => caFromUserCredentials(r.kubeconfigs));
    const server = privateCluster ? cluster.privateFQDN : cluster.fqdn;
    const login = args.kubeloginMode;
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([server, ca, cluster.aadProfile])
        .apply(([host, caData, aad]) =>
          renderKubeconfig({ context: clusterName, server: host, caData, login, tenantId: aad?.tenantID }),
        ),
    );

    this.managedCluster = cluster;
    this.name = cluster.name;
    this.clusterId = cluster.id;
    this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        // The ARM id never changes for the cluster's lifetime, so a new CA or FQDN (a kubeconfig
        // change) updates the provider instead of replacing every Kubernetes object.
        clusterIdentifier: cluster.id,
      },
      // Creation: objects wait for nodes, add-ons and the deployer's RBAC grant. Destroy runs the
      // reverse: every Kubernetes object (LoadBalancer Services, Gateways, PVCs) goes while the
      // pools, add-ons and the grant still stand, then add-ons, pools and the cluster.
      { parent: this, dependsOn: after([cluster], agentPools, addons, [deployerAdmin]) },
    );
    this.capabilities = capabilitiesOf(pools);
    this.registerOutputs({
      name: this.name,
      kubeconfig: this.kubeconfig,
      clusterId: this.clusterId,
      oidcIssuerUrl: this.oidcIssuerUrl,
    });
  }

  /** Resolves once the running system pool (if any) accepts the configured one; see checkSystemPool. */
  private checkSystemPool(args: AksClusterArgs): pulumi.Output<void> {
    return pulumi.output(checkSystemPool(args, { parent: this }));
  }

  private buildNetwork(
    name: string,
    net: AksNetwork,
    resourceGroupName: pulumi.Output<string>,
    location: string,
    clusterName: string,
    tags: Record<string, string>,
  ): pulumi.Output<string> {
    if (net.kind === "existing") return pulumi.output(net.subnetId);
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        virtualNetworkName: `${clusterName}-vnet`,
        resourceGroupName,
        location,
        addressSpace: { addressPrefixes: [net.vnetCidr] },
        tags,
      },
      // Subnets are separate resources; the VNet must not try to own them.
      { parent: this, ignoreChanges: ["subnets"] },
    );
    const subnet = new network.Subnet(
      `${name}-nodes`,
      { subnetName: "nodes", virtualNetworkName: vnet.name, resourceGroupName, addressPrefix: net.subnetCidr },
      { parent: this },
    );
    return subnet.id;
  }

  /**
   * A CanNotDelete lock: on the resource group when kuar owns it (VNet and identity included),
   * otherwise on the cluster only, so other people's resources are never locked.
   */
  private lock(
    name: string,
    rg: resources.ResourceGroup | undefined,
    cluster: containerservice.ManagedCluster,
    pools: pulumi.Resource[],
    clusterName: string,
  ): void {
    const notes = `Deletion protection of AKS ${clusterName} (kuar). Set kuar:aks.deletionProtection to false and run pulumi up to remove.`;
    // Created after the pools, so it never blocks their creation; deleted before everything.
    const opts = { parent: this, dependsOn: [cluster, ...pools] };
    if (rg) {
      new authorization.ManagementLockAtResourceGroupLevel(
        `${name}-lock`,
        { resourceGroupName: rg.name, lockName: "kuar-deletion-protection", level: "CanNotDelete", notes },
        opts,
      );
    } else {
      new authorization.ManagementLockByScope(
        `${name}-lock`,
        { scope: cluster.id, lockName: "kuar-deletion-protection", level: "CanNotDelete", notes },
        opts,
      );
    }
  }
}

/** ARM's answer for a resource group, cluster or pool that does not exist yet. */
export function isNotFound(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /NotFound|\b404\b/.test(text);
}

/**
 * The running system pool, read at preview: AKS refuses an in-place change of its VM size, OS
 * disk or OS image, so such a change stops the program before anything registers (every
 * resource waits for this), with both ways out. A cluster that does not exist yet (first `up`)
 * has nothing to compare.
 */
export async function checkSystemPool(
  args: Pick<AksClusterArgs, "resourceGroup" | "clusterName" | "systemPool">,
  opts?: pulumi.InvokeOptions,
): Promise<void> {
  const pool = args.systemPool;
  let live: LivePool;
  try {
    live = await containerservice.getAgentPool(
      { resourceGroupName: args.resourceGroup.name, resourceName: args.clusterName, agentPoolName: pool.name },
      opts,
    );
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  const changes = systemPoolChanges(live, pool);
  if (changes.length > 0) throw new Error(systemPoolChangeError(pool.name, changes));
}
