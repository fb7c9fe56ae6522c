/**
 * Workloads: the apps a stack enables, each a typed component, composed on the platform that
 * bootstrap hands over. Nothing here knows which target the cluster runs on.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../bootstrap/platform.js";
import type { KubernetesCluster } from "../providers/contract.js";
import type { AppBaseArgs } from "./common.js";
import { Ghost } from "./ghost.js";
import { Kuard } from "./kuard.js";
import { ParseServer } from "./parse.js";
import { Redis } from "./redis.js";
import type { WorkloadsConfig } from "./schema.js";

export interface WorkloadsArgs {
  /** The cluster; its provider becomes every child's provider, its arch picks images. */
  cluster: KubernetesCluster;
  /** Namespace, Gateway, StorageClass and domain from bootstrap. */
  platform: Platform;
  /** Validated `kuar:workloads`. */
  config: WorkloadsConfig;
  /** Supplied secrets; missing ones are generated and kept stable in state. */
  secrets?: {
    parseMasterKey?: pulumi.Output<string>;
    ghostDatabasePassword?: pulumi.Output<string>;
    ghostSmtpPassword?: pulumi.Output<string>;
    redisPassword?: pulumi.Output<string>;
  };
}

export class Workloads extends pulumi.ComponentResource {
  /** Public URLs or service addresses by workload name. */
  readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: WorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:Workloads", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const { config, platform } = args;
    const secrets = args.secrets ?? {};
    const base: AppBaseArgs = {
      namespace: platform.appsNamespace,
      arch: args.cluster.capabilities.arch,
      gateway: platform.gateway,
      domain: platform.domain,
      dependsOn: platform.dependsOn,
    };
    const child = { parent: this };
    const ns = platform.appsNamespace;
    const inCluster = (svc: pulumi.Output<string>, port: number) =>
      pulumi.interpolate`${svc}.${ns}.svc.cluster.local:${port}`;
    const endpoints: Record<string, pulumi.Output<string>> = {};

    if (config.kuard.enabled) {
      const kuard = new Kuard(`${name}-kuard`, { ...base, config: config.kuard }, child);
      endpoints["kuard"] = kuard.url;
    }
    if (config.parse.enabled) {
      const parse = new ParseServer(
        `${name}-parse`,
        { ...base, config: config.parse, storageClass: platform.storageClass, masterKey: secrets.parseMasterKey },
        child,
      );
      endpoints["parse"] = parse.url;
      if (config.parse.dashboard) endpoints["parseDashboard"] = parse.dashboardUrl.apply((u) => u ?? "");
    }
    if (config.ghost.enabled) {
      const ghost = new Ghost(
        `${name}-ghost`,
        {
          ...base,
          config: config.ghost,
          storageClass: platform.storageClass,
          databasePassword: secrets.ghostDatabasePassword,
          smtpPassword: secrets.ghostSmtpPassword,
        },
        child,
      );
      endpoints["ghost"] = ghost.url;
    }
    if (config.redis.enabled) {
      const redis = new Redis(
        `${name}-redis`,
        { ...base, config: config.redis, storageClass: platform.storageClass, password: secrets.redisPassword },
        child,
      );
      endpoints["redisSentinel"] = inCluster(redis.sentinelService, 26379);
      endpoints["redisPrimary"] = inCluster(redis.primaryService, 6379);
    }

    this.endpoints = pulumi.output(endpoints);
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
