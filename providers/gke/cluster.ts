/**
 * The GKE target's cluster: a VPC-native Standard cluster with its own network (or an existing
 * one), a least-privilege node identity, Workload Identity, and autoscaled node pools. See
 * docs/targets/gke.md.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MaintenanceWindow } from "../cloud/maintenance.js";
import { after } from "../cloud/order.js";
import { TAINT_EFFECT_ENUM } from "../cloud/pools.js";
import type { ClusterCapabilities, KubernetesCluster } from "../contract.js";
import { contextName, renderKubeconfig, type GkeKubeconfigAuth } from "./kubeconfig.js";
import { nodeAccountId } from "./naming.js";
import { gkePoolName, initialNodes, maintenancePolicyOf, POOL_LABEL, versionProblems } from "./plan.js";
import type { GkeNetwork, ReleaseChannel, ResolvedPool } from "./schema.js";
import { capabilitiesOf } from "./info.js";

/** Roles of the node service account: what a node needs to log, report metrics and pull images, nothing more. */
export const NODE_ROLES = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/artifactregistry.reader",
] as const;

/** Access is governed by the node account's IAM roles; the scope only stops being the limit. */
export const NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

const PODS_RANGE = "pods";
const SERVICES_RANGE = "services";

/** Every field is resolved by the schema (providers/gke/schema.ts); the component adds no defaults. */
export interface GkeClusterArgs {
  /** Google Cloud project id. */
  project: string;
  /** Region (regional cluster) or zone (zonal cluster). */
  location: string;
  /** Region of the network resources (the location itself, or the zone's region). */
  region: string;
  /** Whether `location` is a region; node pool initial sizes are per zone. */
  regional: boolean;
  /** GKE cluster name. */
  clusterName: string;
  /** A network to create, or an existing one to join. */
  network: GkeNetwork;
  /** The system pool, then workload pools; names are unique. */
  pools: ResolvedPool[];
  /** Exact GKE version (pools then do not auto-upgrade), or undefined to follow the channel. */
  kubernetesVersion: string | undefined;
  /** Release channel; "UNSPECIFIED" when the version is pinned. */
  releaseChannel: ReleaseChannel;
  /** Nodes get internal IPs only. */
  privateNodes: boolean;
  /** The control plane has no public endpoint. */
  privateEndpoint: boolean;
  /** Ranges allowed to reach the control plane ([] = any address). */
  masterAuthorizedNetworks: { cidr: string; displayName?: string | undefined }[];
  /** The control plane's /28 when nodes are private. */
  masterCidr: string;
  /** Stops `pulumi destroy` from deleting the cluster. */
  deletionProtection: boolean;
  /** Labels on the cluster resource (managed-by: kuar is added). */
  resourceLabels: Record<string, string>;
  /** Where the kubeconfig's auth plugin gets its token. */
  kubeconfigAuth: GkeKubeconfigAuth;
  /** When GKE may maintain the cluster, or undefined for any time. */
  maintenanceWindow: MaintenanceWindow | undefined;
  /** Cluster-wide limits of node auto-provisioning, or undefined for off. */
  nodeAutoProvisioning: { maxCpu: number; maxMemoryGb: number } | undefined;
}

export class GkeCluster extends pulumi.ComponentResource implements KubernetesCluster {
  readonly name: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly capabilities: ClusterCapabilities;
  /** The node service account's email. */
  readonly nodeServiceAccount: pulumi.Output<string>;

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:GkeCluster", name, {}, opts);
    const { location, region, clusterName, network, pools, regional, privateNodes, privateEndpoint } = args;
    const authorized = args.masterAuthorizedNetworks;
    const pinned = args.kubernetesVersion;
    const channel = args.releaseChannel;
    // Nothing registers before GKE confirms the location and the version or channel: the two
    // root resources (node account, VPC) take their project from the check.
    const project = this.checkVersions(args);

    const account = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      {
        project,
        accountId: nodeAccountId(clusterName),
        displayName: `GKE nodes of ${clusterName} (kuar)`,
        description: "Least-privilege node identity: logs, metrics, resource metadata, image pulls.",
      },
      { parent: this },
    );
    const member = pulumi.interpolate`serviceAccount:${account.email}`;
    const grants = NODE_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-nodes-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
          { project, role, member },
          { parent: this },
        ),
    );

    const net = this.buildNetwork(name, project, region, network, privateNodes);

    const nodeDefaults = {
      serviceAccount: account.email,
      oauthScopes: NODE_OAUTH_SCOPES,
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      metadata: { "disable-legacy-endpoints": "true" },
    };

    const cluster = new gcp.container.Cluster(
      `${name}-cluster`,
      {
        name: clusterName,
        project,
        location,
        network: net.network,
        subnetwork: net.subnetwork,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {
          clusterSecondaryRangeName: net.podsRangeName,
          servicesSecondaryRangeName: net.servicesRangeName,
        },
        // Node pools are separate resources; the default pool only exists during creation, and
        // even then runs as the least-privilege account rather than the Compute default one.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: nodeDefaults,
        releaseChannel: { channel },
        minMasterVersion: pinned,
        privateClusterConfig: privateNodes
          ? {
              enablePrivateNodes: true,
              enablePrivateEndpoint: privateEndpoint,
              masterIpv4CidrBlock: args.masterCidr ?? "172.16.0.0/28",
            }
          : undefined,
        masterAuthorizedNetworksConfig:
          authorized.length > 0
            ? { cidrBlocks: authorized.map((a) => ({ cidrBlock: a.cidr, displayName: a.displayName ?? a.cidr })) }
            : undefined,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        workloadIdentityConfig: { workloadPool: `${args.project}.svc.id.goog` },
        enableShieldedNodes: true,
        enableLegacyAbac: false,
        datapathProvider: "ADVANCED_DATAPATH",
        addonsConfig: {
          gcePersistentDiskCsiDriverConfig: { enabled: true },
          httpLoadBalancing: { disabled: false },
          horizontalPodAutoscaling: { disabled: false },
        },
        deletionProtection: args.deletionProtection,
        maintenancePolicy: args.maintenanceWindow ? maintenancePolicyOf(args.maintenanceWindow) : undefined,
        clusterAutoscaling: args.nodeAutoProvisioning
          ? {
              enabled: true,
              // Required with auto-provisioning on a Standard cluster; they also cap pool autoscaling.
              resourceLimits: [
                { resourceType: "cpu", minimum: 0, maximum: args.nodeAutoProvisioning.maxCpu },
                { resourceType: "memory", minimum: 0, maximum: args.nodeAutoProvisioning.maxMemoryGb },
              ],
              // Auto-provisioned pools run as the least-privilege node account, not Compute's default one.
              autoProvisioningDefaults: {
                serviceAccount: account.email,
                oauthScopes: NODE_OAUTH_SCOPES,
                shieldedInstanceConfig: nodeDefaults.shieldedInstanceConfig,
              },
            }
          : { enabled: false },
        resourceLabels: { "managed-by": "kuar", ...args.resourceLabels },
      },
      // The removed default pool's node config reads back differently; it must not force a replacement.
      { parent: this, ignoreChanges: ["nodeConfig", "initialNodeCount"] },
    );

    const nodePools = pools.map(
      (pool) =>
        new gcp.container.NodePool(
          `${name}-pool-${pool.name}`,
          {
            name: gkePoolName(pool, nodeAccountId(clusterName)),
            project,
            location,
            cluster: cluster.name,
            initialNodeCount: initialNodes(pool.minNodes, regional),
            autoscaling: {
              totalMinNodeCount: pool.minNodes,
              totalMaxNodeCount: pool.maxNodes,
              // Spot capacity comes and goes per zone; ANY lets the autoscaler go where it is.
              locationPolicy: pool.spot ? "ANY" : "BALANCED",
            },
            management: { autoRepair: true, autoUpgrade: pinned === undefined },
            version: pinned,
            upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
            nodeConfig: {
              ...nodeDefaults,
              machineType: pool.machineType,
              diskSizeGb: pool.diskSizeGb,
              diskType: pool.diskType,
              imageType: "COS_CONTAINERD",
              spot: pool.spot,
              labels: { ...pool.labels, [POOL_LABEL]: pool.name },
              taints: pool.taints.map((t) => ({ key: t.key, value: t.value, effect: TAINT_EFFECT_ENUM[t.effect] })),
            },
          },
          {
            parent: this,
            // Nodes must be able to write logs and pull images from their first boot.
            dependsOn: [...grants, ...net.egress],
            // A replacement gets a new name (gkePoolName), so it is created before the old pool is
            // deleted; GKE drains the old nodes as it deletes them. docs/targets/gke.md says when.
            deleteBeforeReplace: false,
            // Only used at creation; the autoscaler owns the size afterwards.
            ignoreChanges: ["initialNodeCount"],
          },
        ),
    );

    const context = contextName(args.project, location, clusterName);
    this.name = cluster.name;
    this.nodeServiceAccount = account.email;
    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.endpoint, cluster.masterAuth]).apply(([endpoint, auth]) =>
        renderKubeconfig({
          context,
          endpoint,
          caCertificate: auth.clusterCaCertificate ?? "",
          auth: args.kubeconfigAuth,
        }),
      ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        // The cluster's id, known before it exists: a new endpoint or CA (kubeconfig change)
        // does not replace every Kubernetes object.
        clusterIdentifier: `projects/${args.project}/locations/${location}/clusters/${clusterName}`,
      },
      // Creation: objects wait for the nodes. Destroy runs the reverse: every Kubernetes object
      // (LoadBalancer Services, Gateways, PVCs) goes while pools and cluster still stand and
      // their controllers release the load balancers and disks, then the pools, then the cluster.
      { parent: this, dependsOn: after([cluster], nodePools) },
    );
    this.capabilities = capabilitiesOf(pools);
    this.registerOutputs({
      name: this.name,
      kubeconfig: this.kubeconfig,
      nodeServiceAccount: this.nodeServiceAccount,
    });
  }

  /**
   * The engine versions GKE offers in the location, read at preview (gcp.container.getEngineVersions):
   * an unknown location, an unoffered version or a channel without versions stops the program
   * with the fix. Resolves to the project id once the check passed.
   */
  private checkVersions(args: GkeClusterArgs): pulumi.Output<string> {
    return pulumi.output(checkVersions(args, { parent: this }));
  }

  private buildNetwork(
    name: string,
    project: pulumi.Input<string>,
    region: string,
    network: GkeNetwork,
    privateNodes: boolean,
  ): {
    network: pulumi.Input<string>;
    subnetwork: pulumi.Input<string>;
    podsRangeName: string;
    servicesRangeName: string;
    egress: pulumi.Resource[];
  } {
    if (network.kind === "existing") {
      return {
        network: network.network,
        subnetwork: network.subnetwork,
        podsRangeName: network.podsRangeName,
        servicesRangeName: network.servicesRangeName,
        egress: [],
      };
    }
    const vpc = new gcp.compute.Network(
      `${name}-network`,
      { project, autoCreateSubnetworks: false, routingMode: "REGIONAL", description: "GKE network (kuar)" },
      { parent: this },
    );
    const subnet = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      {
        project,
        region,
        network: vpc.selfLink,
        ipCidrRange: network.subnetCidr,
        secondaryIpRanges: [
          { rangeName: PODS_RANGE, ipCidrRange: network.podsCidr },
          { rangeName: SERVICES_RANGE, ipCidrRange: network.servicesCidr },
        ],
        // Private nodes reach Google APIs (Artifact Registry, logging) without NAT.
        privateIpGoogleAccess: true,
      },
      { parent: this },
    );
    const egress: pulumi.Resource[] = [];
    if (privateNodes) {
      const router = new gcp.compute.Router(
        `${name}-router`,
        { project, region, network: vpc.selfLink },
        { parent: this },
      );
      egress.push(
        new gcp.compute.RouterNat(
          `${name}-nat`,
          {
            project,
            region,
            router: router.name,
            natIpAllocateOption: "AUTO_ONLY",
            sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
            subnetworks: [{ name: subnet.selfLink, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
            logConfig: { enable: true, filter: "ERRORS_ONLY" },
          },
          { parent: this },
        ),
      );
    }
    return {
      network: vpc.selfLink,
      subnetwork: subnet.selfLink,
      podsRangeName: PODS_RANGE,
      servicesRangeName: SERVICES_RANGE,
      egress,
    };
  }
}

/** The check behind GkeCluster.checkVersions; resolves to the project id. */
export async function checkVersions(
  args: Pick<GkeClusterArgs, "project" | "location" | "regional" | "kubernetesVersion" | "releaseChannel">,
  opts?: pulumi.InvokeOptions,
): Promise<string> {
  const field = args.regional ? "region" : "zone";
  let offered: gcp.container.GetEngineVersionsResult;
  try {
    offered = await gcp.container.getEngineVersions({ project: args.project, location: args.location }, opts);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `kuar:gke.${field}: GKE lists no versions for "${args.location}" in project ${args.project} (${why}). ` +
        `Check the ${field} (gcloud compute ${field}s list) and that the Kubernetes Engine API is enabled ` +
        `(gcloud services enable container.googleapis.com --project ${args.project}).`,
      { cause: err },
    );
  }
  const problems = versionProblems(args, offered);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return args.project;
}

export { initialNodes };
