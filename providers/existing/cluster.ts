/**
 * The existing target's component: a Kubernetes provider for a cluster kuar did not make. It
 * registers nothing else, so destroying the stack removes kuar's add-ons and workloads and leaves
 * the cluster itself alone. See docs/targets/existing.md.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterCapabilities, KubernetesCluster } from "../contract.js";

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

export class ExistingCluster extends pulumi.ComponentResource implements KubernetesCluster {
  readonly name: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly capabilities: ClusterCapabilities;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:ExistingCluster", name, {}, opts);
    this.name = pulumi.output(args.clusterName);
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, clusterIdentifier: args.clusterIdentifier },
      { parent: this },
    );
    this.capabilities = args.capabilities;
    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
  }
}
