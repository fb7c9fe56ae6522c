/**
 * external-dns from its official chart: publishes hostnames of Gateway routes and LoadBalancer
 * Services to a DNS provider. Credentials come from a Secret the user creates, never from state.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts } from "../config/versions.js";
import { chartArgs } from "./chart.js";
import { firstReason, OFFLINE, type AddonDefinition } from "./addon.js";

export interface ExternalDnsArgs {
  /** Namespace to install into; `credentialsSecret` must live here. */
  namespace: pulumi.Input<string>;
  /** external-dns provider name, e.g. "cloudflare". */
  provider: string;
  /** Only manage records under these domains. */
  domainFilters: string[];
  /** Owner ID written to TXT records. @default "kuar" */
  txtOwnerId?: string;
  /** Secret holding the provider's credentials. @default none (workload identity, IRSA...) */
  credentialsSecret?: string;
  /** Keys of `credentialsSecret`, each exposed as the environment variable of the same name. @default [] */
  credentialsKeys?: string[];
  /** "upsert-only" never deletes records. @default "upsert-only" */
  policy?: "upsert-only" | "sync";
  /** Watch Gateway API routes (needs the Gateway API CRDs). @default true */
  gatewayRoutes?: boolean;
  /** Resources the chart waits for. @default [] */
  dependsOn?: pulumi.Resource[];
}

/**
 * The chart's values. Chart 1.19.0 renders the container's environment from `env` only (no
 * `envFrom`, and its schema lets unknown keys through, so Helm would drop one silently): each
 * credential key becomes one `env` entry read from the Secret.
 */
export function externalDnsValues(args: Omit<ExternalDnsArgs, "namespace" | "dependsOn">): Record<string, unknown> {
  const secret = args.credentialsSecret;
  const env = secret
    ? (args.credentialsKeys ?? []).map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: secret, key } } }))
    : [];
  return {
    provider: { name: args.provider },
    domainFilters: args.domainFilters,
    txtOwnerId: args.txtOwnerId ?? "kuar",
    policy: args.policy ?? "upsert-only",
    sources: (args.gatewayRoutes ?? true) ? ["service", "gateway-httproute"] : ["service"],
    ...(env.length ? { env } : {}),
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
  };
}

export class ExternalDns extends pulumi.ComponentResource {
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:ExternalDns", name, {}, opts);
    const chart = new k8s.helm.v4.Chart(
      `${name}`,
      chartArgs(charts.externalDns, args.namespace, externalDnsValues(args)),
      {
        parent: this,
        dependsOn: args.dependsOn ?? [],
      },
    );
    this.ready = [chart];
    this.registerOutputs({});
  }
}

/** external-dns, off unless asked for; it watches the shared Gateway's routes when there is one. */
export const externalDnsAddon: AddonDefinition = {
  id: "external-dns",
  section: "externalDns",
  waitsFor: ["namespaces", "coredns", "envoy-gateway"],
  skip: (caps, addons) =>
    firstReason([
      [!addons.externalDns.enabled, "off by default; set kuar:addons.externalDns.enabled to true"],
      [!caps.online, OFFLINE],
    ]),
  install(ctx) {
    const a = ctx.addons;
    const x = a.externalDns;
    // The schema requires a provider when enabled; the check narrows the type.
    if (!x.provider) return { ready: [] };
    const externalDns = new ExternalDns(
      `${ctx.name}-external-dns`,
      {
        namespace: a.namespaces.system,
        provider: x.provider,
        domainFilters: x.domainFilters ?? [a.domain],
        txtOwnerId: x.txtOwnerId,
        policy: x.policy,
        gatewayRoutes: ctx.shared.gateway !== undefined,
        ...(x.credentialsSecret ? { credentialsSecret: x.credentialsSecret, credentialsKeys: x.credentialsKeys } : {}),
        dependsOn: ctx.waitFor(),
      },
      ctx.child,
    );
    return { ready: externalDns.ready };
  },
};
