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
import type { Arch, ClusterCapabilities, KubernetesCluster } from "../contract.js";
import { caFromUserCredentials, renderKubeconfig, type KubeloginMode } from "./kubeconfig.js";
import type { AksNetwork, ResolvedPool, UpgradeChannel } from "./schema.js";

/** Built-in role ids (the same in every tenant). */
export const ROLES = {
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  rbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693888a4ed7",
} as const;

/** AKS taints spot nodes with this; declaring it keeps the pool's taints free of drift. */
export const SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule";
export const CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoSchedule";

export interface AksClusterArgs {
  /** Azure region. */
  location: string;
  /** The resource group, and whether kuar creates it. */
  resourceGroup: { name: string; create: boolean };
  /** AKS cluster name. */
  clusterName: string;
  /** DNS prefix of the API server FQDN. @default the cluster name */
  dnsPrefix?: string;
  /** Control plane tier. @default "Standard" */
  skuTier?: "Free" | "Standard" | "Premium";
  /** A VNet to create, or an existing subnet to join. */
  network: AksNetwork;
  /** Overlay Pod range. @default "10.244.0.0/16" */
  podCidr?: string;
  /** Service range. @default "10.0.0.0/16" */
  serviceCidr?: string;
  /** Cluster DNS ClusterIP. @default "10.0.0.10" */
  dnsServiceIP?: string;
  /** Network policy engine; "cilium" also selects the Cilium dataplane. @default "cilium" */
  networkPolicy?: "cilium" | "azure" | "calico" | "none";
  /** The system pool (created with the cluster). */
  systemPool: ResolvedPool;
  /** Taint the system pool CriticalAddonsOnly=true:NoSchedule. @default true when there are workload pools */
  systemPoolCriticalAddonsOnly?: boolean;
  /** Workload pools (separate AgentPool resources). @default [] */
  workloadPools?: ResolvedPool[];
  /** Kubernetes version pin ("1.33" or "1.33.2"). @default unset (the channel picks) */
  kubernetesVersion?: string;
  /** Cluster auto-upgrade channel. @default "stable" */
  autoUpgradeChannel?: UpgradeChannel;
  /** Node OS upgrade channel. @default "NodeImage" */
  nodeOsUpgradeChannel?: "NodeImage" | "SecurityPatch" | "Unmanaged" | "None";
  /** API server on a private IP only. @default false */
  privateCluster?: boolean;
  /** Ranges allowed to reach a public API server. @default [] (any) */
  authorizedIpRanges?: string[];
  /** Entra ID groups whose members are cluster admins. @default [] */
  adminGroupObjectIds?: string[];
  /** Grant the deploying identity AKS RBAC Cluster Admin on the cluster. @default true */
  grantDeployerClusterAdmin?: boolean;
  /** kubelogin sign-in mode of the kubeconfig. @default "azurecli" */
  kubeloginMode?: KubeloginMode;
  /** Delete lock plus Pulumi protection of the cluster. @default true */
  deletionProtection?: boolean;
  /** Tags on every Azure resource. @default {} (plus managed-by: kuar) */
  tags?: Record<string, string>;
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
    const { location, clusterName, systemPool } = args;
    const workloadPools = args.workloadPools ?? [];
    const pools = [systemPool, ...workloadPools];
    const privateCluster = args.privateCluster ?? false;
    const authorized = args.authorizedIpRanges ?? [];
    const pinned = args.kubernetesVersion;
    const protect = args.deletionProtection ?? true;
    const networkPolicy = args.networkPolicy ?? "cilium";
    const tags = { ...args.tags, "managed-by": "kuar" };
    // Without workload pools a tainted system pool would leave nothing able to run workloads.
    const criticalOnly = (args.systemPoolCriticalAddonsOnly ?? true) && workloadPools.length > 0;

    const rg = args.resourceGroup.create
      ? new resources.ResourceGroup(
          `${name}-rg`,
          { resourceGroupName: args.resourceGroup.name, location, tags },
          { parent: this },
        )
      : undefined;
    const resourceGroupName = rg ? rg.name : pulumi.output(args.resourceGroup.name);

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

    const poolProfile = (p: ResolvedPool) => ({
      vmSize: p.vmSize,
      count: p.minCount,
      enableAutoScaling: true,
      minCount: p.minCount,
      maxCount: p.maxCount,
      osDiskSizeGB: p.osDiskSizeGB,
      osDiskType: p.osDiskType,
      osSKU: p.osSku,
      osType: "Linux",
      type: "VirtualMachineScaleSets",
      vnetSubnetID: subnetId,
      availabilityZones: p.availabilityZones.length > 0 ? p.availabilityZones : undefined,
      nodeLabels: p.labels,
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
        dnsPrefix: args.dnsPrefix ?? clusterName,
        sku: { name: "Base", tier: args.skuTier ?? "Standard" },
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        kubernetesVersion: pinned,
        autoUpgradeProfile: {
          upgradeChannel: args.autoUpgradeChannel ?? (pinned ? "none" : "stable"),
          nodeOSUpgradeChannel: args.nodeOsUpgradeChannel ?? "NodeImage",
        },
        agentPoolProfiles: [
          {
            ...poolProfile(systemPool),
            name: systemPool.name,
            mode: "System",
            nodeTaints: taintsOf(systemPool, criticalOnly ? [CRITICAL_ADDONS_TAINT] : []),
          },
        ],
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkPolicy,
          networkDataplane: networkPolicy === "cilium" ? "cilium" : "azure",
          podCidr: args.podCidr ?? "10.244.0.0/16",
          serviceCidr: args.serviceCidr ?? "10.0.0.0/16",
          dnsServiceIP: args.dnsServiceIP ?? "10.0.0.10",
          loadBalancerSku: "standard",
          outboundType: "loadBalancer",
        },
        apiServerAccessProfile: {
          enablePrivateCluster: privateCluster,
          authorizedIPRanges: !privateCluster && authorized.length > 0 ? authorized : undefined,
        },
        enableRBAC: true,
        disableLocalAccounts: true,
        aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: args.adminGroupObjectIds ?? [] },
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
            agentPoolName: p.name,
            resourceName: cluster.name,
            resourceGroupName,
            mode: "User",
            nodeTaints: taintsOf(p, p.spot ? [SPOT_TAINT] : []),
            tags,
          },
          // The pool name is fixed (workloads select on it), so a replacement frees it first.
          { parent: this, deleteBeforeReplace: true, ignoreChanges: ["count"] },
        ),
    );

    const deployerAdmin =
      (args.grantDeployerClusterAdmin ?? true)
        ? new authorization.RoleAssignment(
            `${name}-deployer-admin`,
            {
              scope: cluster.id,
              principalId: client.objectId,
              roleDefinitionId: roleDefinition(
                client.subscriptionId.apply((id) => `/subscriptions/${id}`),
                ROLES.rbacClusterAdmin,
              ),
              description: `The identity that deploys ${clusterName} with kuar administers it`,
            },
            { parent: this },
          )
        : undefined;

    if (protect) this.lock(name, rg, cluster, agentPools, clusterName);

    const ca = containerservice
      .listManagedClusterUserCredentialsOutput(
        { resourceGroupName, resourceName: cluster.name, format: "exec" },
        { parent: this },
      )
      .apply((r) => caFromUserCredentials(r.kubeconfigs));
    const server = privateCluster ? cluster.privateFQDN : cluster.fqdn;
    const login = args.kubeloginMode ?? "azurecli";
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
      // Objects wait for nodes and for the deployer's RBAC grant.
      { parent: this, dependsOn: [cluster, ...agentPools, ...(deployerAdmin ? [deployerAdmin] : [])] },
    );
    this.capabilities = {
      loadBalancer: "cloud",
      defaultStorageClass: "managed-csi",
      arch: archOfPools(pools),
      dns: true,
      metricsServer: true,
      online: true,
      runsContainers: true,
      nodes: Math.max(
        1,
        pools.reduce((n, p) => n + p.minCount, 0),
      ),
    };
    this.registerOutputs({
      name: this.name,
      kubeconfig: this.kubeconfig,
      clusterId: this.clusterId,
      oidcIssuerUrl: this.oidcIssuerUrl,
    });
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

/** `key=value:Effect` strings, after any taints the pool must carry. */
export function taintsOf(
  pool: { taints: { key: string; value: string; effect: string }[] },
  first: string[],
): string[] {
  return [...first, ...pool.taints.map((t) => (t.value ? `${t.key}=${t.value}:${t.effect}` : `${t.key}:${t.effect}`))];
}

/** A built-in role's definition id in a subscription (`/subscriptions/<id>`). */
export function roleDefinition(subscription: pulumi.Input<string>, roleId: string): pulumi.Output<string> {
  return pulumi.interpolate`${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

/** `/subscriptions/<id>/resourceGroups/...` -> `/subscriptions/<id>`. */
export function subscriptionOf(resourceId: string): string {
  const m = /^\/subscriptions\/[^/]+/i.exec(resourceId);
  if (!m) throw new Error(`not an Azure resource id: "${resourceId}"`);
  return m[0];
}

/** Every pool counts: add-on DaemonSets run on the system pool too. */
export function archOfPools(pools: { arch: "amd64" | "arm64" }[]): Arch {
  const arches = new Set(pools.map((p) => p.arch));
  if (arches.size === 1) return [...arches][0]!;
  return arches.size === 0 ? "amd64" : "mixed";
}
