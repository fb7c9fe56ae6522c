/**
 * The existing target's component: a Kubernetes provider for a cluster kuar did not make. It
 * registers nothing else, so destroying the stack removes kuar's add-ons and workloads and leaves
 * the cluster itself alone. See docs/targets/existing.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterComponent } from "../cluster.js";
import type { ClusterCapabilities } from "../contract.js";

export interface ExistingClusterArgs {
  /** The cluster's name in the kubeconfig. */
  clusterName: string;
  /** One self-contained kubeconfig context; kept a secret. */
  kubeconfig: pulumi.Input<string>;
  /** Stable identity of the cluster, so a changed kubeconfig does not replace every object. */
  clusterIdentifier: string;
  /** What bootstrap and workloads need to know, declared or discovered. */
  capabilities: ClusterCapabilities;
}

export class ExistingCluster extends ClusterComponent {
  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:ExistingCluster", name, {}, opts);
    this.connect(name, args);
  }
}
