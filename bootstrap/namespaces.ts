/**
 * The system namespace for add-ons and the apps namespace for workloads, with Pod Security
 * Admission labels and the apps namespace's default NetworkPolicies.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

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

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

const NAME_LABEL = "kubernetes.io/metadata.name";

export interface PolicyInputs {
  /** Namespace the Gateway's proxies run in. */
  gatewayNamespace: string;
  /** "restricted": egress only within the namespace and to DNS; "open": no egress policy. */
  egress: "restricted" | "open";
}

/**
 * The apps namespace's default NetworkPolicies, by short name. Ingress is denied unless it comes
 * from the same namespace or the Gateway's; with restricted egress, pods reach only each other and DNS.
 */
export function appsNetworkPolicies(p: PolicyInputs): Record<string, NetworkPolicySpec> {
  const sameNamespace = [{ podSelector: {} }];
  const policies: Record<string, NetworkPolicySpec> = {
    "default-deny-ingress": { podSelector: {}, policyTypes: ["Ingress"] },
    "allow-same-namespace": {
      podSelector: {},
      policyTypes: p.egress === "restricted" ? ["Ingress", "Egress"] : ["Ingress"],
      ingress: [{ from: sameNamespace }],
      ...(p.egress === "restricted" ? { egress: [{ to: sameNamespace }] } : {}),
    },
    "allow-from-gateway": {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NAME_LABEL]: p.gatewayNamespace } } }] }],
    },
  };
  if (p.egress === "restricted") {
    // Any destination on port 53: cluster DNS may be a Service, a node-local cache or a cloud resolver.
    policies["allow-dns-egress"] = {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    };
  }
  return policies;
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
      { metadata: { name: systemName, labels: namespaceLabels("baseline") } },
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
            appsNetworkPolicies({ gatewayNamespace: systemName, egress: args.egress ?? "restricted" }),
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
