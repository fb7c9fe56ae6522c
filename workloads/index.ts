/**
 * Workloads: the apps a stack enables, each a typed component, composed on the platform that
 * bootstrap hands over. Nothing here knows which target the cluster runs on, nor which apps
 * exist: it deploys what the registry (schema.ts) lists, each with its own secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../bootstrap/platform.js";
import type { KubernetesCluster } from "../providers/contract.js";
import type { AppBaseArgs } from "./common.js";
import { workloadRegistry, type WorkloadsConfig } from "./schema.js";
import type { WorkloadContext, WorkloadDefinition } from "./workload.js";

export interface WorkloadsArgs {
  /** The cluster; its provider becomes every child's provider, its arch picks images. */
  cluster: KubernetesCluster;
  /** Namespace, Gateway, StorageClass and domain from bootstrap. */
  platform: Platform;
  /** Validated `kuar:workloads`. */
  config: WorkloadsConfig;
  /** Supplied secrets by config key; each workload gets its own. Missing ones are generated and kept stable in state. @default none */
  secrets?: Partial<Record<string, pulumi.Output<string>>>;
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
    const ns = platform.appsNamespace;
    const shared: Omit<WorkloadContext<keyof WorkloadsConfig>, "config" | "secrets"> = {
      name,
      base,
      platform,
      child: { parent: this },
      inCluster: (svc, port) => pulumi.interpolate`${svc}.${ns}.svc.cluster.local:${port}`,
    };
    const endpoints: Record<string, pulumi.Output<string>> = {};
    for (const w of workloadRegistry()) Object.assign(endpoints, deploy(w, config, secrets, shared));

    this.endpoints = pulumi.output(endpoints);
    this.registerOutputs({ endpoints: this.endpoints });
  }
}

/** One workload, when its section is enabled, with only the secrets it declares. */
function deploy<K extends keyof WorkloadsConfig>(
  w: WorkloadDefinition<K>,
  config: WorkloadsConfig,
  secrets: Partial<Record<string, pulumi.Output<string>>>,
  shared: Omit<WorkloadContext<K>, "config" | "secrets">,
): Record<string, pulumi.Output<string>> {
  const own = config[w.key];
  if (!own.enabled) return {};
  const mine = Object.fromEntries((w.secrets ?? []).flatMap((k) => (secrets[k] ? [[k, secrets[k]]] : [])));
  return w.install({ ...shared, config: own, secrets: mine });
}
