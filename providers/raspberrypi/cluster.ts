/**
 * The Raspberry Pi target: per Pi a kuar:RaspberryPiHost (preparation, every host in parallel) and
 * a kuar:RaspberryPiNode (k3s: servers joined one at a time, then agents in parallel), a
 * kubeconfig read from the first server, and the k8s provider built from it.
 * See docs/targets/raspberrypi.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { ModuleResource, moduleProvider } from "../../common/dynamic.js";
import { secretOrGenerated } from "../../common/random-secret.js";
import { ClusterComponent } from "../cluster.js";
import type { Arch } from "../contract.js";
import { hostSpecOf, type HostSpec, type NodeSpec } from "./inventory.js";
import { rewriteKubeconfig } from "./kubeconfig.js";

export interface RaspberryPiClusterArgs {
  /** Cluster name: kubeconfig context and the k8s provider's cluster identifier. */
  clusterName: string;
  /** One spec per host, servers first (see inventory.ts nodeSpecs). */
  nodes: NodeSpec[];
  /** The k3s cluster token. @default generated (48 characters) and kept in state as a secret */
  token?: pulumi.Output<string>;
  /** URL clients use for the API server. @default "https://<first server address>:6443" */
  apiServerEndpoint?: string;
}

const methods = ["check", "diff", "create", "update", "read", "delete"] as const;
const hostProvider = moduleProvider("providers/raspberrypi/host.provider.ts", [...methods]);
const nodeProvider = moduleProvider("providers/raspberrypi/node.provider.ts", [...methods]);

/**
 * The URN a dynamic resource of kuar's `type` will get, as an input of that resource, so its
 * provider can attribute step lines to it (progress.ts). Dynamic resources are typed
 * `pulumi-nodejs:dynamic/<module>:<type>` (@pulumi/pulumi dynamic/index.ts).
 */
function ownUrn(name: string, type: string, opts?: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const urn = pulumi.createUrn(name, `pulumi-nodejs:dynamic/kuar:${type}`, opts?.parent);
  // Only the value: an input that depends on the parent component would wait for the component's
  // children, this resource among them.
  return pulumi.output(new Promise<string>((resolve) => urn.apply(resolve)));
}

/** One Pi prepared for k3s: hostname, cgroup flags (and the reboot), ip_forward, staged air-gap files. */
export class RaspberryPiHost extends ModuleResource {
  declare readonly machine: pulumi.Output<string>;

  constructor(name: string, spec: HostSpec, opts?: pulumi.CustomResourceOptions) {
    const progressUrn = ownUrn(name, "RaspberryPiHost", opts);
    super(hostProvider, name, { ...spec, progressUrn, machine: undefined }, opts, "kuar", "RaspberryPiHost");
  }
}

/** One Pi, prepared and joined to the cluster. */
export class RaspberryPiNode extends ModuleResource {
  /** k3s.yaml as written by a server (empty on agents). Secret. */
  declare readonly kubeconfig: pulumi.Output<string>;
  declare readonly installedVersion: pulumi.Output<string>;

  constructor(name: string, spec: NodeSpec, token: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions) {
    const progressUrn = ownUrn(name, "RaspberryPiNode", opts);
    super(
      nodeProvider,
      name,
      { ...spec, progressUrn, token, kubeconfig: undefined, installedVersion: undefined, machine: undefined },
      { ...opts, additionalSecretOutputs: ["token", "kubeconfig"] },
      "kuar",
      "RaspberryPiNode",
    );
  }
}

export class RaspberryPiCluster extends ClusterComponent {
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

    // Preparation depends on nothing, so every host is prepared (and rebooted) in parallel.
    const prepared = new Map(
      args.nodes.map((spec) => [
        spec.nodeName,
        new RaspberryPiHost(`${name}-${spec.nodeName}-host`, hostSpecOf(spec), { parent: this }),
      ]),
    );
    // Servers join one at a time (simultaneous etcd joins can hang); upgrades follow the same chain.
    const serverNodes: RaspberryPiNode[] = [];
    for (const spec of servers) {
      const prev = serverNodes[serverNodes.length - 1];
      serverNodes.push(
        new RaspberryPiNode(`${name}-${spec.nodeName}`, spec, token, {
          parent: this,
          dependsOn: [prepared.get(spec.nodeName)!, ...(prev ? [prev] : [])],
        }),
      );
    }
    for (const spec of agents) {
      new RaspberryPiNode(`${name}-${spec.nodeName}`, spec, token, {
        parent: this,
        dependsOn: [prepared.get(spec.nodeName)!, ...serverNodes],
      });
    }

    const first = servers[0]!;
    const arches = new Set(args.nodes.map((n) => n.arch));
    this.connect(name, {
      clusterName: args.clusterName,
      kubeconfig: serverNodes[0]!.kubeconfig.apply((raw) =>
        rewriteKubeconfig(raw, first.host.address, args.clusterName, args.apiServerEndpoint),
      ),
      // The identifier is the cluster's name, so a new kubeconfig (another first server address,
      // rotated client certificates) does not replace every object in the cluster.
      clusterIdentifier: `kuar-raspberrypi-${args.clusterName}`,
      capabilities: {
        loadBalancer: "metallb",
        defaultStorageClass: "local-path",
        arch: arches.size === 1 ? ([...arches][0] as Arch) : "mixed",
        dns: true,
        metricsServer: true,
        online: true,
        runsContainers: true,
        nodes: args.nodes.length,
      },
    });
  }
}
