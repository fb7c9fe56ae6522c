/** Workloads: the apps a stack enables, each a typed component. */
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../bootstrap/platform.js";
import type { KubernetesCluster } from "../providers/contract.js";
import type { WorkloadsConfig } from "./schema.js";

export interface WorkloadsArgs {
  cluster: KubernetesCluster;
  platform: Platform;
  /** Validated `kuar:workloads`. */
  config: WorkloadsConfig;
  /** Supplied secrets; missing ones are generated and kept stable in state. */
  secrets?: {
    parseMasterKey?: pulumi.Output<string>;
    ghostDatabasePassword?: pulumi.Output<string>;
    redisPassword?: pulumi.Output<string>;
  };
}

export class Workloads extends pulumi.ComponentResource {
  /** Public URLs or service addresses by workload name. */
  readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: WorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:Workloads", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    this.endpoints = pulumi.output<Record<string, string>>({});
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
