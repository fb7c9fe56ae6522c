/**
 * The apps namespace's NetworkPolicies and the peers they name: who may reach the apps (the
 * Gateway's proxies) and whom the apps may reach (each other and cluster DNS). Policies add up
 * (a connection is allowed when any policy selecting the pod allows it), so the namespace-wide
 * ones only deny by default and open egress; each app's own policy (workloads/common.ts) opens
 * exactly its ports. Plain data: tested directly and by the policy matrix test.
 */
import type * as k8s from "@pulumi/kubernetes";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

export const NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Labels Envoy Gateway 1.6 puts on every proxy pod it runs (EnvoyAppLabel in
 * envoyproxy/gateway internal/infrastructure/kubernetes/proxy/resource.go at v1.6.0). The proxies
 * run in the controller's namespace, kuar's system namespace.
 */
export const PROXY_POD_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/name": "envoy",
  "app.kubernetes.io/component": "proxy",
  "app.kubernetes.io/managed-by": "envoy-gateway",
};

/**
 * The label kuar puts on the namespace its Gateway's proxies run in. Only someone who may edit
 * namespaces can add it, so a peer selecting it cannot be joined by creating pods elsewhere.
 */
export const GATEWAY_NAMESPACE_LABELS: Readonly<Record<string, string>> = { "kuar.dev/gateway-proxies": "true" };

/** The Gateway's proxy pods as a NetworkPolicy peer. */
export const GATEWAY_PROXIES = {
  namespaceSelector: { matchLabels: { ...GATEWAY_NAMESPACE_LABELS } },
  podSelector: { matchLabels: { ...PROXY_POD_LABELS } },
};

/** Where cluster DNS runs: its pods and the port they listen on (policies match pod ports, not Service ports). */
export interface DnsPeer {
  /** Namespace of the DNS pods. */
  namespace: string;
  /** Labels of the DNS pods. */
  podLabels: Record<string, string>;
  /** The port the DNS container listens on, UDP and TCP. */
  port: number;
}

/**
 * Cluster DNS as it runs everywhere kuar goes: kube-system pods labelled `k8s-app: kube-dns`
 * (kuar's own CoreDNS, and the CoreDNS or kube-dns of GKE, AKS, EKS and k3s), on port 53 unless
 * it is kuar's CoreDNS, which listens on `corednsPort`.
 */
export function clusterDns(kuarCoreDns: boolean, corednsPort: number): DnsPeer {
  return { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: kuarCoreDns ? corednsPort : 53 };
}

export interface PolicyInputs {
  /** "restricted": egress only within the namespace and to DNS; "open": no egress policy. */
  egress: "restricted" | "open";
  /** Cluster DNS, the one destination outside the namespace restricted egress allows. */
  dns: DnsPeer;
}

/**
 * The apps namespace's default NetworkPolicies, by short name: ingress denied to every pod (apps
 * open their own ports), and with restricted egress, pods reach only pods of their namespace and
 * the DNS pods on their DNS port.
 */
export function appsNetworkPolicies(p: PolicyInputs): Record<string, NetworkPolicySpec> {
  const policies: Record<string, NetworkPolicySpec> = {
    "default-deny-ingress": { podSelector: {}, policyTypes: ["Ingress"] },
  };
  if (p.egress === "restricted") {
    policies["allow-egress-in-namespace"] = {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: {} }] }],
    };
    policies["allow-dns-egress"] = {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { [NAME_LABEL]: p.dns.namespace } },
              podSelector: { matchLabels: { ...p.dns.podLabels } },
            },
          ],
          ports: [
            { protocol: "UDP", port: p.dns.port },
            { protocol: "TCP", port: p.dns.port },
          ],
        },
      ],
    };
  }
  return policies;
}

/** Every port of `protocol` except `excluded`, as NetworkPolicy port ranges (`port`..`endPort`). */
export function portsExcept(excluded: number[], protocol: "TCP" | "UDP" = "TCP") {
  const cut = [...new Set(excluded)].filter((p) => p >= 1 && p <= 65535).sort((a, b) => a - b);
  const ranges: { protocol: string; port: number; endPort?: number }[] = [];
  let start = 1;
  for (const p of [...cut, 65536]) {
    if (p - 1 >= start)
      ranges.push(p - 1 > start ? { protocol, port: start, endPort: p - 1 } : { protocol, port: start });
    start = p + 1;
  }
  return ranges;
}
