/**
 * Bootstrap: the add-ons a cluster needs before workloads, chosen from its capabilities (plan.ts),
 * each configurable under `kuar:addons`. Produces the Platform workloads build on and the list of
 * add-ons left out, with reasons.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesCluster } from "../providers/contract.js";
import { CertManager } from "./cert-manager.js";
import { Dashboard } from "./dashboard.js";
import { CoreDns, DNS_PORT } from "./dns.js";
import { ExternalDns } from "./external-dns.js";
import { Gateway } from "./gateway.js";
import { MetalLb } from "./metallb.js";
import { MetricsServer } from "./metrics.js";
import { Namespaces } from "./namespaces.js";
import { clusterDns } from "./network.js";
import { planAddons, type AddonId, type Skip } from "./plan.js";
import type { Platform } from "./platform.js";
import { addonsSchema, type AddonsConfig } from "./schema.js";
import { LocalPathStorage } from "./storage.js";

export interface BootstrapArgs {
  /** The cluster to bootstrap. Its provider is used for every child. */
  cluster: KubernetesCluster;
  /** Validated `kuar:addons`. @default every add-on's defaults */
  addons?: AddonsConfig;
  /** Secrets from stack config. @default none */
  secrets?: { acmeEabHmacKey?: pulumi.Output<string> | undefined };
}

export class Bootstrap extends pulumi.ComponentResource {
  readonly platform: Platform;
  /** Add-ons left out and why (e.g. charts that need the internet on an offline cluster). */
  readonly skipped: Skip[];

  constructor(name: string, args: BootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    const caps = args.cluster.capabilities;
    const a = args.addons ?? addonsSchema.parse({});
    const eab = args.secrets?.acmeEabHmacKey;
    // Planned before anything registers, so a config the capabilities reject changes nothing.
    const plan = planAddons(caps, a, { hasEabSecret: eab !== undefined });
    super("kuar:bootstrap:Bootstrap", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    this.skipped = plan.skipped;

    const on = plan.install;
    const ready: Partial<Record<AddonId, pulumi.Resource[]>> = {};
    const waitFor = (id: AddonId) => (plan.after[id] ?? []).flatMap((dep) => ready[dep] ?? []);
    const child = { parent: this };
    const system = a.namespaces.system;

    const namespaces = new Namespaces(
      `${name}-namespaces`,
      {
        system,
        apps: a.namespaces.apps,
        networkPolicies: a.namespaces.networkPolicies,
        egress: a.namespaces.egress,
        dns: clusterDns(on.coredns, DNS_PORT),
      },
      child,
    );
    ready.namespaces = namespaces.ready;

    if (on.coredns) {
      const dns = new CoreDns(
        `${name}-coredns`,
        {
          clusterIP: a.dns.clusterIP,
          clusterDomain: a.dns.clusterDomain,
          upstreams: a.dns.upstreams,
          stubDomains: a.dns.stubDomains,
          replicas: Math.min(a.dns.replicas, Math.max(caps.nodes, 1)),
          dependsOn: waitFor("coredns"),
        },
        child,
      );
      ready.coredns = dns.ready;
    }

    if (on["dashboard-rbac"]) {
      const dashboard = new Dashboard(
        `${name}-dashboard`,
        {
          namespace: system,
          access: a.dashboard.access,
          chart: on.headlamp,
          dependsOn: waitFor("dashboard-rbac"),
          chartDependsOn: on.headlamp ? waitFor("headlamp") : [],
        },
        child,
      );
      ready["dashboard-rbac"] = dashboard.ready;
    }

    if (on.metallb) {
      const metallb = new MetalLb(
        `${name}-metallb`,
        { addresses: a.metallb.addresses, dependsOn: waitFor("metallb") },
        child,
      );
      ready.metallb = metallb.ready;
    }

    const gatewayName = `${name}-gateway`;
    const tlsSecretName = on["cert-manager"] ? `${gatewayName}-tls` : undefined;
    let gateway: Gateway | undefined;
    if (on["envoy-gateway"]) {
      gateway = new Gateway(
        gatewayName,
        {
          namespace: system,
          appsNamespace: a.namespaces.apps,
          ...(tlsSecretName ? { tlsSecretName } : {}),
          serviceType: caps.loadBalancer === "none" ? "NodePort" : "LoadBalancer",
          dependsOn: waitFor("envoy-gateway"),
        },
        child,
      );
      ready["envoy-gateway"] = gateway.ready;
    }

    let certManager: CertManager | undefined;
    if (on["cert-manager"]) {
      const acme = a.certManager.issuer === "acme" ? a.certManager.acme : undefined;
      certManager = new CertManager(
        `${name}-cert-manager`,
        {
          namespace: system,
          domain: a.domain,
          ...(acme ? { acme } : {}),
          ...(eab ? { eabHmacKey: eab } : {}),
          ...(gateway && tlsSecretName
            ? {
                gateway: {
                  name: gatewayName,
                  namespace: system,
                  tlsSecretName,
                  hosts: acme?.hosts ?? [a.domain, `*.${a.domain}`],
                },
              }
            : {}),
          dependsOn: waitFor("cert-manager"),
        },
        child,
      );
      ready["cert-manager"] = certManager.ready;
    }

    if (on["metrics-server"]) {
      const metrics = new MetricsServer(
        `${name}-metrics-server`,
        {
          namespace: system,
          kubeletInsecureTLS: a.metrics.kubeletInsecureTLS,
          replicas: caps.nodes > 1 ? 2 : 1,
          dependsOn: waitFor("metrics-server"),
        },
        child,
      );
      ready["metrics-server"] = metrics.ready;
    }

    let storage: LocalPathStorage | undefined;
    if (on["local-path-storage"]) {
      storage = new LocalPathStorage(
        `${name}-storage`,
        { className: a.storage.className, path: a.storage.path, dependsOn: waitFor("local-path-storage") },
        child,
      );
      ready["local-path-storage"] = storage.ready;
    }

    if (on["external-dns"] && a.externalDns.provider) {
      const externalDns = new ExternalDns(
        `${name}-external-dns`,
        {
          namespace: system,
          provider: a.externalDns.provider,
          domainFilters: a.externalDns.domainFilters ?? [a.domain],
          txtOwnerId: a.externalDns.txtOwnerId,
          policy: a.externalDns.policy,
          gatewayRoutes: on["envoy-gateway"],
          ...(a.externalDns.credentialsSecret
            ? { credentialsSecret: a.externalDns.credentialsSecret, credentialsKeys: a.externalDns.credentialsKeys }
            : {}),
          dependsOn: waitFor("external-dns"),
        },
        child,
      );
      ready["external-dns"] = externalDns.ready;
    }

    const https = tlsSecretName !== undefined;
    this.platform = {
      appsNamespace: namespaces.apps,
      gateway: gateway && {
        name: gateway.name,
        namespace: gateway.namespace,
        sectionName: https ? "https" : "http",
        scheme: https ? "https" : "http",
      },
      storageClass: storage ? storage.storageClass : pulumi.output(caps.defaultStorageClass ?? a.storage.className),
      domain: a.domain,
      dependsOn: (["namespaces", "coredns", "envoy-gateway", "local-path-storage"] as const).flatMap(
        (id) => ready[id] ?? [],
      ),
      systemNamespace: namespaces.system,
      ...(certManager ? { clusterIssuer: certManager.issuerName } : {}),
    };
    this.registerOutputs({
      appsNamespace: this.platform.appsNamespace,
      storageClass: this.platform.storageClass,
      gatewayName: gateway?.name,
      skipped: this.skipped,
    });
  }
}
