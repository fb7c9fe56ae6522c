/** Bootstrap: the add-ons a cluster needs before workloads, chosen from its capabilities. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesCluster } from "../providers/contract.js";
import type { Platform } from "./platform.js";
import type { AddonsConfig } from "./schema.js";

export interface BootstrapArgs {
  /** The cluster to bootstrap. Its provider is used for every child. */
  cluster: KubernetesCluster;
  /** Validated `kuar:addons`. */
  addons: AddonsConfig;
  /** Secrets from stack config. */
  secrets?: { acmeEabHmacKey?: pulumi.Output<string> };
}

export class Bootstrap extends pulumi.ComponentResource {
  readonly platform: Platform;
  /** Add-ons left out and why (e.g. charts that need the internet on the local target). */
  readonly skipped: { addon: string; reason: string }[] = [];

  constructor(name: string, args: BootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:Bootstrap", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const apps = new k8s.core.v1.Namespace(`${name}-apps`, { metadata: { name: "apps" } }, { parent: this });
    this.platform = {
      appsNamespace: apps.metadata.name,
      gateway: undefined,
      storageClass: pulumi.output(args.cluster.capabilities.defaultStorageClass ?? "standard"),
      domain: "kuar.local",
      dependsOn: [apps],
    };
    this.registerOutputs({ appsNamespace: this.platform.appsNamespace });
  }
}
