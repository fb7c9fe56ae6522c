/**
 * The system namespace for add-ons and the apps namespace for workloads, with Pod Security
 * Admission labels and the apps namespace's default NetworkPolicies (network.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { appsNetworkPolicies, clusterDns, GATEWAY_NAMESPACE_LABELS, type DnsPeer } from "./network.js";
import type { AddonDefinition } from "./addon.js";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** Pod Security Admission labels: enforce `level`, warn and audit at "restricted" so gaps show. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": level,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
}

/** Labels for a kuar-managed namespace. */
export function namespaceLabels(level: PodSecurityLevel): Record<string, string> {
  return { "app.kubernetes.io/part-of": "kuar", "app.kubernetes.io/managed-by": "pulumi", ...podSecurityLabels(level) };
}

export interface NamespacesArgs {
  /** Namespace for add-ons. @default "kuar-system" */
  system?: string;
  /** Namespace for applications. @default "apps" */
  apps?: string;
  /** Create the apps namespace's default NetworkPolicies. @default true */
  networkPolicies?: boolean;
  /** Egress policy for apps. @default "restricted" */
  egress?: "restricted" | "open";
  /** Cluster DNS, which restricted egress lets apps reach. @default the cluster's own kube-dns pods on port 53 */
  dns?: DnsPeer;
}

export class Namespaces extends pulumi.ComponentResource {
  readonly system: pulumi.Output<string>;
  readonly apps: pulumi.Output<string>;
  /** What must exist before anything is placed in these namespaces. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: NamespacesArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:Namespaces", name, {}, opts);
    const systemName = args.system ?? "kuar-system";
    const appsName = args.apps ?? "apps";
    const system = new k8s.core.v1.Namespace(
      `${name}-system`,
      // The Gateway's proxies run here; the label is what app policies admit them by.
      { metadata: { name: systemName, labels: { ...namespaceLabels("baseline"), ...GATEWAY_NAMESPACE_LABELS } } },
      { parent: this },
    );
    const apps = new k8s.core.v1.Namespace(
      `${name}-apps`,
      { metadata: { name: appsName, labels: namespaceLabels("restricted") } },
      { parent: this },
    );
    const policies =
      (args.networkPolicies ?? true)
        ? Object.entries(
            appsNetworkPolicies({ egress: args.egress ?? "restricted", dns: args.dns ?? clusterDns(false, 53) }),
          ).map(
            ([short, spec]) =>
              new k8s.networking.v1.NetworkPolicy(
                `${name}-${short}`,
                { metadata: { name: short, namespace: apps.metadata.name }, spec },
                { parent: this },
              ),
          )
        : [];
    this.system = system.metadata.name;
    this.apps = apps.metadata.name;
    this.ready = [system, apps, ...policies];
    this.registerOutputs({ system: this.system, apps: this.apps });
  }
}

/** Always installed: everything else is placed in these namespaces. */
export const namespacesAddon: AddonDefinition = {
  id: "namespaces",
  section: "namespaces",
  waitsFor: [],
  skip: () => undefined,
  workloadsWait: true,
  install(ctx) {
    const a = ctx.addons.namespaces;
    const namespaces = new Namespaces(
      `${ctx.name}-namespaces`,
      {
        system: a.system,
        apps: a.apps,
        networkPolicies: a.networkPolicies,
        egress: a.egress,
        dns: ctx.facts.dnsPeer ?? clusterDns(false, 53),
      },
      ctx.child,
    );
    return { ready: namespaces.ready, namespaces: { system: namespaces.system, apps: namespaces.apps } };
  },
};
