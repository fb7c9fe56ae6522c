/** Capability sets the bootstrap tests share: one per kind of cluster kuar targets. */
import type { ClusterCapabilities } from "../../../providers/contract.js";

/** A managed cloud cluster: everything but the gateway, certificates and the dashboard is there. */
export const cloud: ClusterCapabilities = {
  loadBalancer: "cloud",
  defaultStorageClass: "standard-rwo",
  arch: "amd64",
  dns: true,
  metricsServer: true,
  online: true,
  runsContainers: true,
  nodes: 3,
};

/** k3s on Raspberry Pis with MetalLB: DNS and local-path from k3s, no metrics-server. */
export const metal: ClusterCapabilities = {
  loadBalancer: "metallb",
  defaultStorageClass: "local-path",
  arch: "arm64",
  dns: true,
  metricsServer: false,
  online: true,
  runsContainers: true,
  nodes: 4,
};

/** The local control plane with kwok nodes: offline, no DNS, no metrics, containers never run. */
export const local: ClusterCapabilities = {
  loadBalancer: "none",
  defaultStorageClass: "standard",
  arch: "amd64",
  dns: false,
  metricsServer: false,
  online: false,
  runsContainers: false,
  nodes: 3,
};

/** A bare kubeadm cluster: online, but no DNS, metrics API, storage or load balancer. */
export const bare: ClusterCapabilities = {
  loadBalancer: "none",
  defaultStorageClass: undefined,
  arch: "mixed",
  dns: false,
  metricsServer: false,
  online: true,
  runsContainers: true,
  nodes: 1,
};
