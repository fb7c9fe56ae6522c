/**
 * Bootstrap: the add-ons a cluster needs before workloads, chosen from its capabilities (plan.ts),
 * each configurable under `kuar:addons`. Produces the Platform workloads build on and the list of
 * add-ons left out, with reasons. It installs whatever the registry (schema.ts) lists, in order,
 * and passes what add-ons share through typed values (addon.ts); it names no add-on.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesCluster } from "../providers/contract.js";
import type { AddonContext, BootstrapSecrets, Facts, Shared } from "./addon.js";
import { planAddons, type AddonId, type Skip } from "./plan.js";
import type { Platform } from "./platform.js";
import { addonRegistry, addonsSchema, type AddonsConfig } from "./schema.js";

export interface BootstrapArgs {
  /** The cluster to bootstrap. Its provider is used for every child. */
  cluster: KubernetesCluster;
  /** Validated `kuar:addons`. @default every add-on's defaults */
  addons?: AddonsConfig;
  /** Secrets from stack config. @default none */
  secrets?: BootstrapSecrets;
}

export class Bootstrap extends pulumi.ComponentResource {
  readonly platform: Platform;
  /** Add-ons left out and why (e.g. charts that need the internet on an offline cluster). */
  readonly skipped: Skip[];

  constructor(name: string, args: BootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    const caps = args.cluster.capabilities;
    const addons = args.addons ?? addonsSchema.parse({});
    const secrets = args.secrets ?? {};
    // Planned before anything registers, so a config the capabilities reject changes nothing.
    const plan = planAddons(caps, addons, { secrets: Object.keys(secrets).filter((k) => secrets[k] !== undefined) });
    super("kuar:bootstrap:Bootstrap", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    this.skipped = plan.skipped;

    const registry = addonRegistry();
    const installs = (id: AddonId) => plan.install[id] === true;
    const facts: Facts = Object.assign({}, ...registry.filter((d) => installs(d.id)).map((d) => d.provides ?? {}));
    const ready: Partial<Record<AddonId, pulumi.Resource[]>> = {};
    const waitFor = (id: AddonId) => (plan.after[id] ?? []).flatMap((dep) => ready[dep] ?? []);
    const shared: Shared = {};
    const workloadsWaitFor: pulumi.Resource[] = [];

    for (const d of registry) {
      if (!installs(d.id)) {
        Object.assign(shared, d.fallback?.(caps, addons));
        continue;
      }
      const own = new Set([d.id, ...(d.parts ?? []).map((p) => p.id)]);
      const ownPart = (id: AddonId) => {
        if (!own.has(id)) throw new Error(`add-on ${d.id} asked about ${id}, which is not one of its parts`);
        return id;
      };
      const ctx: AddonContext = {
        name,
        caps,
        addons,
        secrets: Object.fromEntries((d.secrets ?? []).flatMap((k) => (secrets[k] ? [[k, secrets[k]]] : []))),
        facts,
        shared: { ...shared },
        child: { parent: this },
        installs: (id) => installs(ownPart(id)),
        waitFor: (id = d.id) => waitFor(ownPart(id)),
      };
      const { ready: done, ...handed } = d.install(ctx);
      ready[d.id] = done;
      if (d.workloadsWait) workloadsWaitFor.push(...done);
      Object.assign(shared, handed);
    }

    const { namespaces, gateway, storageClass } = shared;
    if (!namespaces || !storageClass) {
      throw new Error("bootstrap/schema.ts addonRegistry() needs add-ons that share the namespaces and a StorageClass");
    }
    const https = gateway?.tlsSecretName !== undefined;
    this.platform = {
      appsNamespace: namespaces.apps,
      gateway: gateway && {
        ...gateway.outputs,
        sectionName: https ? "https" : "http",
        scheme: https ? "https" : "http",
      },
      storageClass,
      domain: addons.domain,
      dependsOn: workloadsWaitFor,
      systemNamespace: namespaces.system,
      ...(shared.clusterIssuer ? { clusterIssuer: shared.clusterIssuer } : {}),
    };
    this.registerOutputs({
      appsNamespace: this.platform.appsNamespace,
      storageClass: this.platform.storageClass,
      gatewayName: gateway?.outputs.name,
      skipped: this.skipped,
    });
  }
}
