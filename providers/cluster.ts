/**
 * The part of the cluster contract every target builds the same way: the cluster's name, its
 * kubeconfig kept a Pulumi secret, the one Kubernetes provider built from it and the capabilities.
 * A target's component extends this and calls `connect` once its own resources exist.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterCapabilities, KubernetesCluster } from "./contract.js";

export interface Connection {
  clusterName: pulumi.Input<string>;
  kubeconfig: pulumi.Input<string>;
  /**
   * Stable identity of the cluster, so a changed kubeconfig (new certificates, another address)
   * updates the provider instead of replacing every object.
   */
  clusterIdentifier: pulumi.Input<string>;
  /** `destroy` drops objects of a cluster that is already gone, instead of failing. @default false */
  deleteUnreachable?: boolean;
  capabilities: ClusterCapabilities;
}

interface Parts {
  name: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  provider: k8s.Provider;
  capabilities: ClusterCapabilities;
}

export abstract class ClusterComponent extends pulumi.ComponentResource implements KubernetesCluster {
  #parts: Parts | undefined;

  get name(): pulumi.Output<string> {
    return this.parts().name;
  }
  get kubeconfig(): pulumi.Output<string> {
    return this.parts().kubeconfig;
  }
  get provider(): k8s.Provider {
    return this.parts().provider;
  }
  get capabilities(): ClusterCapabilities {
    return this.parts().capabilities;
  }

  /** Builds the Kubernetes provider (`<name>-k8s`, a child) and registers the outputs. Call once. */
  protected connect(name: string, c: Connection): void {
    if (this.#parts) throw new Error(`${name}: connect called twice`);
    const kubeconfig = pulumi.secret(c.kubeconfig);
    const provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig,
        clusterIdentifier: c.clusterIdentifier,
        ...(c.deleteUnreachable ? { deleteUnreachable: true } : {}),
      },
      { parent: this },
    );
    this.#parts = { name: pulumi.output(c.clusterName), kubeconfig, provider, capabilities: c.capabilities };
    this.registerOutputs({ name: this.#parts.name, kubeconfig });
  }

  private parts(): Parts {
    if (!this.#parts) throw new Error("the cluster component has not connected yet (a kuar bug)");
    return this.#parts;
  }
}
