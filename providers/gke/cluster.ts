/**
 * The GKE target's cluster: a VPC-native Standard cluster with its own network (or an existing
 * one), a least-privilege node identity, Workload Identity, and autoscaled node pools. See
 * docs/targets/gke.md.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Arch, ClusterCapabilities, KubernetesCluster } from "../contract.js";
import { contextName, renderKubeconfig } from "./kubeconfig.js";
import { nodeAccountId } from "./naming.js";
import type { GkeNetwork, ResolvedPool } from "./schema.js";

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

const TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" };

export interface GkeClusterArgs {
  /** Google Cloud project id. */
  project: string;
  /** Region (regional cluster) or zone (zonal cluster). */
  location: string;
  /** Region of the network resources (the location itself, or the zone's region). */
  region: string;
  /** Whether `location` is a region; node pool initial sizes are per zone. @default true */
  regional?: boolean;
  /** GKE cluster name. */
  clusterName: string;
  /** A network to create, or an existing one to join. */
  network: GkeNetwork;
  /** The system pool, then workload pools; names are unique. */
  pools: ResolvedPool[];
  /** Exact GKE version; pools then do not auto-upgrade. @default unset (follow the channel) */
  kubernetesVersion?: string;
  /** Release channel; "UNSPECIFIED" when the version is pinned. @default "REGULAR" */
  releaseChannel?: "RAPID" | "REGULAR" | "STABLE" | "UNSPECIFIED";
  /** Nodes get internal IPs only. @default true */
  privateNodes?: boolean;
  /** The control plane has no public endpoint. @default false */
  privateEndpoint?: boolean;
  /** Ranges allowed to reach the control plane. @default [] (any address) */
  masterAuthorizedNetworks?: { cidr: string; displayName?: string | undefined }[];
  /** The control plane's /28 when nodes are private. @default "172.16.0.0/28" */
  masterCidr?: string;
  /** Stops `pulumi destroy` from deleting the cluster. @default true */
  deletionProtection?: boolean;
  /** Labels on the cluster resource. @default {} */
  resourceLabels?: Record<string, string>;
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
    const { project, location, region, clusterName, network, pools } = args;
    const regional = args.regional ?? true;
    const privateNodes = args.privateNodes ?? true;
    const privateEndpoint = args.privateEndpoint ?? false;
    const authorized = args.masterAuthorizedNetworks ?? [];
    const pinned = args.kubernetesVersion;
    const channel = args.releaseChannel ?? (pinned ? "UNSPECIFIED" : "REGULAR");

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
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
        enableShieldedNodes: true,
        enableLegacyAbac: false,
        datapathProvider: "ADVANCED_DATAPATH",
        addonsConfig: {
          gcePersistentDiskCsiDriverConfig: { enabled: true },
          httpLoadBalancing: { disabled: false },
          horizontalPodAutoscaling: { disabled: false },
        },
        deletionProtection: args.deletionProtection ?? true,
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
            name: pool.name,
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
              labels: pool.labels,
              taints: pool.taints.map((t) => ({ key: t.key, value: t.value, effect: TAINT_EFFECT[t.effect] })),
            },
          },
          {
            parent: this,
            // Nodes must be able to write logs and pull images from their first boot.
            dependsOn: [...grants, ...net.egress],
            // The pool name is fixed (workloads select on it), so a replacement frees it first.
            deleteBeforeReplace: true,
            // Only used at creation; the autoscaler owns the size afterwards.
            ignoreChanges: ["initialNodeCount"],
          },
        ),
    );

    const context = contextName(project, location, clusterName);
    this.name = cluster.name;
    this.nodeServiceAccount = account.email;
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([cluster.endpoint, cluster.masterAuth])
        .apply(([endpoint, auth]) =>
          renderKubeconfig({ context, endpoint, caCertificate: auth.clusterCaCertificate ?? "" }),
        ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        // The cluster's id, known before it exists: a new endpoint or CA (kubeconfig change)
        // does not replace every Kubernetes object.
        clusterIdentifier: `projects/${project}/locations/${location}/clusters/${clusterName}`,
      },
      // Objects wait for nodes, so Deployments do not time out while pools are created.
      { parent: this, dependsOn: nodePools },
    );
    this.capabilities = {
      loadBalancer: "cloud",
      defaultStorageClass: "standard-rwo",
      arch: archOfPools(pools),
      dns: true,
      metricsServer: true,
      online: true,
      runsContainers: true,
      nodes: Math.max(
        1,
        pools.reduce((n, p) => n + p.minNodes, 0),
      ),
    };
    this.registerOutputs({
      name: this.name,
      kubeconfig: this.kubeconfig,
      nodeServiceAccount: this.nodeServiceAccount,
    });
  }

  private buildNetwork(
    name: string,
    project: string,
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

/** Node pool initial size is per zone; a regional pool spreads over GKE's default three zones. */
export function initialNodes(minNodes: number, regional: boolean): number {
  return regional ? Math.ceil(minNodes / 3) : minNodes;
}

export function archOfPools(pools: { arch: "amd64" | "arm64" }[]): Arch {
  const arches = new Set(pools.map((p) => p.arch));
  if (arches.size === 1) return [...arches][0]!;
  return arches.size === 0 ? "amd64" : "mixed";
}
