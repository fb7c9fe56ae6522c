/**
 * The local target: a real control plane on 127.0.0.1 (kube-apiserver, kube-controller-manager,
 * kube-scheduler, etcd) whose nodes kwok simulates, with optional real nodes beside them that run
 * pods for real (kuar:local.realNodes). See docs/targets/local.md.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { moduleProvider } from "../../common/dynamic.js";
import type { ClusterCapabilities, KubernetesCluster } from "../contract.js";
import { capabilitiesOf } from "./info.js";

export interface LocalClusterArgs {
  /** kwok cluster name; also the kubeconfig context (`kuar-<name>`). */
  clusterName: string;
  /** Simulated nodes. @default 3 */
  nodes?: number;
  /** Kubernetes version of the toolchain's control plane binaries. */
  kubeVersion: string;
  /** Real nodes (kubelet + containerd + runc) beside the simulated ones; root and Linux. @default 0 */
  realNodes?: number;
  /** Image reference -> OCI archive or layout imported into the real nodes. @default {} */
  images?: Record<string, string>;
}

const controlPlaneProvider = moduleProvider("providers/local/control-plane.provider.ts", [
  "create",
  "diff",
  "update",
  "read",
  "delete",
]);

class LocalControlPlane extends pulumi.dynamic.Resource {
  declare readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: Required<LocalClusterArgs>, opts?: pulumi.CustomResourceOptions) {
    super(
      controlPlaneProvider,
      name,
      { kind: "kuar:LocalControlPlane", ...args, kubeconfig: undefined },
      { ...opts, additionalSecretOutputs: ["kubeconfig"] },
      "kuar",
      "LocalControlPlane",
    );
  }
}

export class LocalCluster extends pulumi.ComponentResource implements KubernetesCluster {
  readonly name: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly capabilities: ClusterCapabilities;

  constructor(name: string, args: LocalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:LocalCluster", name, {}, opts);
    const nodes = args.nodes ?? 3;
    const realNodes = args.realNodes ?? 0;
    const images = args.images ?? {};
    const cp = new LocalControlPlane(`${name}-control-plane`, { ...args, nodes, realNodes, images }, { parent: this });
    this.name = pulumi.output(args.clusterName);
    this.kubeconfig = pulumi.secret(cp.kubeconfig);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      // The identifier is the cluster name, so a changed kubeconfig (new certificates after a
      // re-create under the same name) does not replace every object.
      // deleteUnreachable: when this machine's control plane is already gone (deleted by hand, or a
      // machine wiped), `destroy` drops its objects from the state instead of failing on them;
      // they died with the control plane, which this stack owns outright.
      {
        kubeconfig: this.kubeconfig,
        clusterIdentifier: `kuar-local-${args.clusterName}`,
        deleteUnreachable: true,
      },
      { parent: this },
    );
    this.capabilities = capabilitiesOf(nodes, realNodes);
    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
  }
}
