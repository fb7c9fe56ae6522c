/**
 * Pure decisions of the existing target: the kubectl commands discovery may run (reads only),
 * and the capabilities read from their answers merged with what the config declares.
 */
import type { Arch, ClusterCapabilities } from "../contract.js";
import type { DeclaredCapabilities } from "./schema.js";

/** The only kubectl verbs discovery uses; anything else would change the cluster. */
export const READ_ONLY_VERBS = ["get", "config view"] as const;

/** Node provider-id schemes of clouds whose controller gives LoadBalancer Services an address. */
export const CLOUD_PROVIDER_SCHEMES = [
  "aws",
  "azure",
  "gce",
  "digitalocean",
  "linode",
  "hcloud",
  "oci",
  "openstack",
  "ibm",
  "alicloud",
  "vsphere",
] as const;

/** Annotation kwok puts on the nodes it simulates (`kwokctl scale node`). */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
const DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";
const DEFAULT_CLASS_BETA = "storageclass.beta.kubernetes.io/is-default-class";

/** Label kuar puts on what its add-ons create; discovery does not count those as the cluster's own. */
export const PART_OF_KUAR = "app.kubernetes.io/part-of=kuar";

interface Meta {
  name: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The objects discovery reads, as the API returns them (only the fields used). */
export interface ApiFacts {
  nodes: NodeFacts[];
  storageClasses: { metadata: Meta }[];
  /** kube-system Services labelled k8s-app=kube-dns (CoreDNS and kube-dns both carry it). */
  dnsServices: { metadata: Meta }[];
  /** The APIService v1beta1.metrics.k8s.io, when registered. */
  metricsApi: { metadata: Meta; spec?: { service?: { namespace?: string } } } | undefined;
  /** Namespaces kuar's add-ons made (labelled part-of kuar). */
  kuarNamespaces: string[];
}

export interface NodeFacts {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean; providerID?: string; taints?: { effect: string }[] };
  status?: { nodeInfo?: { architecture?: string } };
}

/** `kubectl` arguments that pick the kubeconfig file and context. */
export function target(kubeconfigFile: string, context: string | undefined): string[] {
  return ["--kubeconfig", kubeconfigFile, ...(context ? ["--context", context] : [])];
}

/** The reads discovery makes, keyed by what they answer. Every one is a `get`. */
export function discoveryReads(): Record<keyof ApiFacts, string[]> {
  return {
    nodes: ["get", "nodes", "-o", "json"],
    storageClasses: ["get", "storageclasses.storage.k8s.io", "-o", "json"],
    dnsServices: ["get", "services", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "json"],
    metricsApi: [
      "get",
      "apiservices.apiregistration.k8s.io",
      "v1beta1.metrics.k8s.io",
      "--ignore-not-found",
      "-o",
      "json",
    ],
    kuarNamespaces: ["get", "namespaces", "-l", PART_OF_KUAR, "-o", "json"],
  };
}

/** The read that renders one self-contained context of the kubeconfig (certificates embedded). */
export function kubeconfigRead(): string[] {
  return ["config", "view", "--raw", "--flatten", "--minify"];
}

/** Parses kubectl's JSON answers to `discoveryReads()`. */
export function parseFacts(out: Record<keyof ApiFacts, string>): ApiFacts {
  const items = (text: string) => ((JSON.parse(text) as { items?: unknown[] }).items ?? []) as never[];
  return {
    nodes: items(out.nodes),
    storageClasses: items(out.storageClasses),
    dnsServices: items(out.dnsServices),
    metricsApi: out.metricsApi.trim() === "" ? undefined : (JSON.parse(out.metricsApi) as ApiFacts["metricsApi"]),
    kuarNamespaces: (items(out.kuarNamespaces) as { metadata: Meta }[]).map((n) => n.metadata.name),
  };
}

/** Made by kuar's own add-ons: counting it would make a second run remove what the first installed. */
function kuars(o: { metadata: Meta }): boolean {
  return o.metadata.labels?.["app.kubernetes.io/part-of"] === "kuar";
}

function schedulable(n: NodeFacts): boolean {
  if (n.spec?.unschedulable) return false;
  return !(n.spec?.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
}

function archOf(nodes: NodeFacts[]): Arch {
  const arches = new Set(
    nodes.map((n) => n.status?.nodeInfo?.architecture ?? n.metadata.labels?.["kubernetes.io/arch"]),
  );
  if (arches.size === 1 && arches.has("amd64")) return "amd64";
  if (arches.size === 1 && arches.has("arm64")) return "arm64";
  return "mixed";
}

/** The default StorageClass; with several, the newest wins, as the API server does. */
function defaultClassOf(classes: ApiFacts["storageClasses"]): string | undefined {
  const defaults = classes
    .filter((c) => !kuars(c))
    .filter((c) => {
      const a = c.metadata.annotations ?? {};
      return a[DEFAULT_CLASS] === "true" || a[DEFAULT_CLASS_BETA] === "true";
    });
  defaults.sort((x, y) => (y.metadata.creationTimestamp ?? "").localeCompare(x.metadata.creationTimestamp ?? ""));
  return defaults[0]?.metadata.name;
}

/**
 * Capabilities from what the API says, each overridden by a declared value. Nodes that are
 * cordoned or tainted NoSchedule/NoExecute (control planes) do not count; when none is left, all do.
 */
export function capabilitiesFrom(facts: ApiFacts | undefined, declared: DeclaredCapabilities): ClusterCapabilities {
  const all = facts?.nodes ?? [];
  const usable = all.filter(schedulable).length > 0 ? all.filter(schedulable) : all;
  const cloud = usable.some((n) => {
    const scheme = /^([a-z0-9-]+):\/\//.exec(n.spec?.providerID ?? "")?.[1];
    return (CLOUD_PROVIDER_SCHEMES as readonly string[]).includes(scheme ?? "");
  });
  const simulated = usable.length > 0 && usable.every((n) => n.metadata.annotations?.[KWOK_NODE_ANNOTATION] === "fake");
  const storage = declared.defaultStorageClass ?? (facts ? defaultClassOf(facts.storageClasses) : undefined);
  return {
    loadBalancer: declared.loadBalancer ?? (cloud ? "cloud" : "none"),
    defaultStorageClass: storage === "" ? undefined : storage,
    arch: declared.arch ?? (usable.length > 0 ? archOf(usable) : "amd64"),
    dns: declared.dns ?? (facts ? facts.dnsServices.some((svc) => !kuars(svc)) : true),
    metricsServer: declared.metricsServer ?? (facts ? ownMetricsApi(facts) : false),
    online: declared.online ?? true,
    runsContainers: declared.runsContainers ?? !simulated,
    nodes: declared.nodes ?? Math.max(1, usable.length),
  };
}

/** The metrics API is the cluster's own unless it is served from a namespace kuar made. */
function ownMetricsApi(facts: ApiFacts): boolean {
  const api = facts.metricsApi;
  if (!api || kuars(api)) return false;
  const ns = api.spec?.service?.namespace;
  return !(ns !== undefined && facts.kuarNamespaces.includes(ns));
}

/** Whether any capability is left to discover. */
export function needsDiscovery(declared: DeclaredCapabilities): boolean {
  const keys = [
    "loadBalancer",
    "defaultStorageClass",
    "arch",
    "dns",
    "metricsServer",
    "runsContainers",
    "nodes",
  ] as const;
  return keys.some((k) => declared[k] === undefined);
}

/** The context, cluster name and API server of a minified kubeconfig (one context). */
export function describeKubeconfig(
  yamlText: string,
  parse: (t: string) => unknown,
): { context: string; cluster: string; server: string } {
  const doc = parse(yamlText) as {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: { server: string } }[];
  };
  const context = doc["current-context"] ?? doc.contexts?.[0]?.name ?? "";
  const cluster = doc.contexts?.find((c) => c.name === context)?.context.cluster ?? "";
  const server = doc.clusters?.find((c) => c.name === cluster)?.cluster.server ?? "";
  return { context, cluster, server };
}

/** The provider's identity: the same cluster keeps it across kubeconfig changes (new tokens, renamed users). */
export function clusterIdentifier(server: string, cluster: string): string {
  return `kuar-existing-${cluster}-${server}`;
}
