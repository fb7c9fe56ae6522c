/**
 * The cluster contract: what every target returns, so nothing above providers/ ever branches
 * on which target it runs on. Bootstrap reads `capabilities`; workloads read `arch` and the
 * storage class; everything gets `provider`.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

export type Arch = "amd64" | "arm64" | "mixed";

export interface ClusterCapabilities {
  /** How Services of type LoadBalancer get an address. */
  loadBalancer: "cloud" | "metallb" | "none";
  /** Name of the cluster's default StorageClass, or undefined when it has none (bootstrap adds one). */
  defaultStorageClass: string | undefined;
  /** CPU architecture of the schedulable nodes. */
  arch: Arch;
  /** The distribution already runs cluster DNS (CoreDNS or kube-dns). */
  dns: boolean;
  /** The distribution already serves the metrics API (metrics-server or a managed equivalent). */
  metricsServer: boolean;
  /** Add-ons can pull Helm charts and images from the internet. False on the local target. */
  online: boolean;
  /** Containers really run (false where nodes are simulated, so pods never execute code). */
  runsContainers: boolean;
  /** Number of schedulable nodes known at deploy time; drives anti-affinity and PDBs. */
  nodes: number;
}

export interface KubernetesCluster {
  /** The cluster's name as the target knows it. */
  readonly name: pulumi.Output<string>;
  /** A kubeconfig for this cluster. Always a Pulumi secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider built once from the kubeconfig and passed down explicitly. */
  readonly provider: k8s.Provider;
  /** What bootstrap and workloads need to know about the cluster. */
  readonly capabilities: ClusterCapabilities;
}

/** The architecture of a set of node pools (or hosts): one arch, or "mixed"; none counts as amd64. */
export function archOfPools(pools: readonly { arch: Arch }[]): Arch {
  const arches = new Set(pools.map((p) => p.arch));
  if (arches.size === 1) return [...arches][0]!;
  return arches.size === 0 ? "amd64" : "mixed";
}
