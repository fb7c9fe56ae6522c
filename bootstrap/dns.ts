/**
 * CoreDNS as plain Kubernetes objects (no chart), so clusters without DNS get it even offline.
 * It listens on an unprivileged port so it runs without NET_BIND_SERVICE; the `kube-dns` Service
 * maps port 53 to it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images } from "../config/versions.js";
import { parseUpstream } from "./schema.js";
import { awaitAddress } from "../common/awaits.js";
import { disabled, firstReason, type AddonDefinition } from "./addon.js";
import { clusterDns } from "./network.js";

export const DNS_PORT = 1053;

export interface CorefileInputs {
  /** The cluster's DNS domain. @default "cluster.local" */
  clusterDomain?: string;
  /** Servers for everything else, `ip` or `ip:port`. @default [] (the node's /etc/resolv.conf) */
  upstreams?: string[];
  /** Domains answered by their own servers. @default [] */
  stubDomains?: { domain: string; servers: string[] }[];
}

/** Renders the Corefile: the cluster zone, then one server block per stub domain. */
export function renderCorefile(c: CorefileInputs = {}): string {
  const domain = c.clusterDomain ?? "cluster.local";
  const forwardTo = (servers: string[]) =>
    servers.map((s) => {
      const u = parseUpstream(s);
      return u && u.port !== 53 ? `${u.ip}:${u.port}` : (u?.ip ?? s);
    });
  const upstreams = c.upstreams?.length ? forwardTo(c.upstreams).join(" ") : "/etc/resolv.conf";
  const main = [
    `.:${DNS_PORT} {`,
    "    errors",
    "    health {",
    "        lameduck 5s",
    "    }",
    "    ready",
    `    kubernetes ${domain} in-addr.arpa ip6.arpa {`,
    "        pods insecure",
    "        fallthrough in-addr.arpa ip6.arpa",
    "        ttl 30",
    "    }",
    "    prometheus :9153",
    `    forward . ${upstreams} {`,
    "        max_concurrent 1000",
    "    }",
    "    cache 30",
    "    loop",
    "    reload",
    "    loadbalance",
    "}",
  ];
  const stubs = (c.stubDomains ?? []).flatMap((s) => [
    `${s.domain}:${DNS_PORT} {`,
    "    errors",
    "    cache 30",
    `    forward . ${forwardTo(s.servers).join(" ")}`,
    "}",
  ]);
  return [...main, ...stubs].join("\n") + "\n";
}

export interface CoreDnsArgs extends CorefileInputs {
  /** ClusterIP of the `kube-dns` Service; the kubelets' `clusterDNS`. @default "10.96.0.10" */
  clusterIP?: string;
  /** Replicas; more than one gets a PodDisruptionBudget and spreads over nodes. @default 2 */
  replicas?: number;
  /** Resources to wait for first. @default [] */
  dependsOn?: pulumi.Resource[];
}

const NAMESPACE = "kube-system";

export class CoreDns extends pulumi.ComponentResource {
  /** The `kube-dns` Service's address. */
  readonly clusterIP: pulumi.Output<string>;
  /** What must be ready before pods resolve names. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: CoreDnsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:CoreDns", name, {}, opts);
    const clusterIP = args.clusterIP ?? "10.96.0.10";
    const replicas = args.replicas ?? 2;
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    // `k8s-app: kube-dns` is the label tools (and NetworkPolicies people copy) expect of cluster DNS.
    const selector = { "k8s-app": "kube-dns", "app.kubernetes.io/instance": name };
    const labels = { ...selector, "app.kubernetes.io/name": "coredns", "app.kubernetes.io/part-of": "kuar" };
    const meta = { name, namespace: NAMESPACE, labels };

    const sa = new k8s.core.v1.ServiceAccount(`${name}`, { metadata: meta }, child);
    const role = new k8s.rbac.v1.ClusterRole(
      `${name}`,
      {
        metadata: { name, labels },
        rules: [
          { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
          { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
        ],
      },
      child,
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}`,
      {
        metadata: { name, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: NAMESPACE }],
      },
      child,
    );
    const config = new k8s.core.v1.ConfigMap(
      `${name}`,
      { metadata: meta, data: { Corefile: renderCorefile(args) } },
      child,
    );
    const deployment = new k8s.apps.v1.Deployment(
      `${name}`,
      {
        metadata: meta,
        spec: {
          replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: sa.metadata.name,
              priorityClassName: "system-cluster-critical",
              dnsPolicy: "Default",
              nodeSelector: { "kubernetes.io/os": "linux" },
              tolerations: [
                { key: "CriticalAddonsOnly", operator: "Exists" },
                { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
              ],
              affinity: {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 100,
                      podAffinityTerm: {
                        labelSelector: { matchLabels: selector },
                        topologyKey: "kubernetes.io/hostname",
                      },
                    },
                  ],
                },
              },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 65532,
                runAsGroup: 65532,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "coredns",
                  image: images.coredns,
                  args: ["-conf", "/etc/coredns/Corefile"],
                  ports: [
                    { name: "dns", containerPort: DNS_PORT, protocol: "UDP" },
                    { name: "dns-tcp", containerPort: DNS_PORT, protocol: "TCP" },
                    { name: "metrics", containerPort: 9153, protocol: "TCP" },
                  ],
                  resources: { requests: { cpu: "100m", memory: "70Mi" }, limits: { cpu: "1", memory: "170Mi" } },
                  livenessProbe: {
                    httpGet: { path: "/health", port: 8080 },
                    initialDelaySeconds: 60,
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                    failureThreshold: 5,
                  },
                  readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 10 },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    // The image's /coredns carries the file capability cap_net_bind_service=+ep;
                    // the kernel refuses to exec such a binary (EPERM) when that capability is not
                    // in the bounding set, so dropping ALL without adding it back never starts.
                    capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
                  },
                  volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
                },
              ],
              volumes: [{ name: "config", configMap: { name: config.metadata.name } }],
            },
          },
        },
      },
      { ...child, dependsOn: [...child.dependsOn, binding] },
    );
    const service = new k8s.core.v1.Service(
      `${name}`,
      {
        // The conventional name: tools look for kube-system/kube-dns. A cluster has one DNS.
        metadata: awaitAddress({ ...meta, name: "kube-dns" }),
        spec: {
          clusterIP,
          selector,
          ports: [
            { name: "dns", port: 53, targetPort: DNS_PORT, protocol: "UDP" },
            { name: "dns-tcp", port: 53, targetPort: DNS_PORT, protocol: "TCP" },
            { name: "metrics", port: 9153, targetPort: 9153, protocol: "TCP" },
          ],
        },
      },
      child,
    );
    const pdb =
      replicas > 1
        ? [
            new k8s.policy.v1.PodDisruptionBudget(
              `${name}`,
              { metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
              child,
            ),
          ]
        : [];
    this.clusterIP = service.spec.clusterIP;
    this.ready = [deployment, service, ...pdb];
    this.registerOutputs({ clusterIP: this.clusterIP });
  }
}

/** CoreDNS where the cluster runs no DNS; restricted egress then reaches it on DNS_PORT. */
export const corednsAddon: AddonDefinition = {
  id: "coredns",
  section: "dns",
  waitsFor: [],
  skip: (caps, addons) =>
    firstReason([
      [!addons.dns.enabled, disabled("dns")],
      [caps.dns, "the cluster already runs DNS (capabilities.dns is true)"],
    ]),
  provides: { dnsPeer: clusterDns(true, DNS_PORT) },
  workloadsWait: true,
  install(ctx) {
    const a = ctx.addons.dns;
    const dns = new CoreDns(
      `${ctx.name}-coredns`,
      {
        clusterIP: a.clusterIP,
        clusterDomain: a.clusterDomain,
        upstreams: a.upstreams,
        stubDomains: a.stubDomains,
        replicas: Math.min(a.replicas, Math.max(ctx.caps.nodes, 1)),
        dependsOn: ctx.waitFor(),
      },
      ctx.child,
    );
    return { ready: dns.ready };
  },
};
