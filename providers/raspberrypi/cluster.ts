/**
 * The Raspberry Pi target: one kuar:RaspberryPiNode per Pi (servers joined one at a time, then
 * agents in parallel), a kubeconfig read from the first server, and the k8s provider built from
 * it. See docs/targets/raspberrypi.md.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { moduleProvider } from "../../common/dynamic.js";
import { secretOrGenerated } from "../../common/random-secret.js";
import type { Arch, ClusterCapabilities, KubernetesCluster } from "../contract.js";
import { rewriteKubeconfig, type NodeSpec } from "./plan.js";

export interface RaspberryPiClusterArgs {
  /** Cluster name: kubeconfig context and the k8s provider's cluster identifier. */
  clusterName: string;
  /** One spec per host, servers first (see plan.ts nodeSpecs). */
  nodes: NodeSpec[];
  /** The k3s cluster token. @default generated (48 characters) and kept in state as a secret */
  token?: pulumi.Output<string>;
  /** URL clients use for the API server. @default "https://<first server address>:6443" */
  apiServerEndpoint?: string;
}

const nodeProvider = moduleProvider("providers/raspberrypi/provider.ts", [
  "check",
  "diff",
  "create",
  "update",
  "read",
  "delete",
]);

/** One Pi, prepared and joined to the cluster. */
export class RaspberryPiNode extends pulumi.dynamic.Resource {
  /** k3s.yaml as written by a server (empty on agents). Secret. */
  declare readonly kubeconfig: pulumi.Output<string>;
  declare readonly installedVersion: pulumi.Output<string>;

  constructor(name: string, spec: NodeSpec, token: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions) {
    super(
      nodeProvider,
      name,
      { ...spec, token, kubeconfig: undefined, installedVersion: undefined, machine: undefined },
      { ...opts, additionalSecretOutputs: ["token", "kubeconfig"] },
      "kuar",
      "RaspberryPiNode",
    );
  }
}

export class RaspberryPiCluster extends pulumi.ComponentResource implements KubernetesCluster {
  readonly name: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly capabilities: ClusterCapabilities;

  constructor(name: string, args: RaspberryPiClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:RaspberryPiCluster", name, {}, opts);
    const servers = args.nodes.filter((n) => n.role === "server");
    const agents = args.nodes.filter((n) => n.role === "agent");
    if (servers.length === 0) throw new Error(`${name}: the inventory has no server`);
    const token = secretOrGenerated(
      `${name}-k3s-token`,
      args.token,
      { length: 48, alphabet: "alnum" },
      { parent: this },
    );

    // Servers join one at a time (simultaneous etcd joins can hang); upgrades follow the same chain.
    const serverNodes: RaspberryPiNode[] = [];
    for (const spec of servers) {
      const prev = serverNodes[serverNodes.length - 1];
      serverNodes.push(
        new RaspberryPiNode(`${name}-${spec.nodeName}`, spec, token, {
          parent: this,
          ...(prev ? { dependsOn: [prev] } : {}),
        }),
      );
    }
    for (const spec of agents) {
      new RaspberryPiNode(`${name}-${spec.nodeName}`, spec, token, { parent: this, dependsOn: serverNodes });
    }

    const first = servers[0]!;
    this.name = pulumi.output(args.clusterName);
    this.kubeconfig = pulumi.secret(
      serverNodes[0]!.kubeconfig.apply((raw) =>
        rewriteKubeconfig(raw, first.host.address, args.clusterName, args.apiServerEndpoint),
      ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      // The identifier is the cluster's name, so a new kubeconfig (another first server address,
      // rotated client certificates) does not replace every object in the cluster.
      { kubeconfig: this.kubeconfig, clusterIdentifier: `kuar-raspberrypi-${args.clusterName}` },
      { parent: this },
    );
    const arches = new Set(args.nodes.map((n) => n.arch));
    this.capabilities = {
      loadBalancer: "metallb",
      defaultStorageClass: "local-path",
      arch: arches.size === 1 ? ([...arches][0] as Arch) : "mixed",
      dns: true,
      metricsServer: true,
      online: true,
      runsContainers: true,
      nodes: args.nodes.length,
    };
    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
  }
}
