/**
 * Pure helpers every workload shares: labels, the restricted security context, spreading over
 * nodes, disruption budgets, image choice by architecture, routes and network policy. Plain data
 * in, plain data out, so they are tested directly.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { GatewayRef } from "../bootstrap/platform.js";
import { GATEWAY_PROXIES } from "../bootstrap/network.js";
import type { Arch } from "../providers/contract.js";
import type { ResourcesConfig } from "./schema.js";

/** What every app component needs from the layers below it. */
export interface AppBaseArgs {
  /** Namespace to deploy into (the platform's apps namespace). */
  namespace: pulumi.Input<string>;
  /** CPU architecture of the schedulable nodes; picks per-arch images. @default "amd64" */
  arch?: Arch;
  /** Shared Gateway; when present the app's front door gets an HTTPRoute. @default none: a ClusterIP Service only */
  gateway?: GatewayRef;
  /** Base DNS domain; the app is published as `<app>.<domain>`. @default "kuar.local" */
  domain?: string;
  /** Resources every child waits for (CRDs, namespace, policies). @default [] */
  dependsOn?: pulumi.Resource[];
}

export const PART_OF = "kuar";

export interface LabelArgs {
  /** `app.kubernetes.io/name`: the application, e.g. "mongo". */
  name: string;
  /** `app.kubernetes.io/instance`: the component instance, e.g. "kuar-parse". */
  instance: string;
  /** `app.kubernetes.io/component`: its role, e.g. "database". */
  component: string;
}

/** The labels a selector matches on: stable for the life of the object. */
export function selectorLabels(l: LabelArgs): Record<string, string> {
  return {
    "app.kubernetes.io/name": l.name,
    "app.kubernetes.io/instance": l.instance,
    "app.kubernetes.io/component": l.component,
  };
}

/** Selector labels plus part-of and managed-by. */
export function labels(l: LabelArgs): Record<string, string> {
  return { ...selectorLabels(l), "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" };
}

/** Pod-level settings of the Pod Security "restricted" profile, with an explicit non-root user. */
export function podSecurityContext(uid: number, gid = uid) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container-level restricted settings; workloads get them through `securePod` (workloads/pod.ts). */
export function containerSecurityContext(readOnlyRootFilesystem = true) {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Config-shaped requests and limits as a container `resources` block. */
export function containerResources(r: ResourcesConfig) {
  return {
    requests: { cpu: r.requests.cpu, memory: r.requests.memory },
    limits: { cpu: r.limits.cpu, memory: r.limits.memory },
  };
}

/** Prefer one pod per node; preferred, so a small cluster still schedules everything. None for one replica. */
export function antiAffinity(selector: Record<string, string>, replicas: number) {
  if (replicas <= 1) return undefined;
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } },
        },
      ],
    },
  };
}

/** A PodDisruptionBudget spec letting one pod go at a time; none for a single replica (it would block drains). */
export function pdbSpec(selector: Record<string, string>, replicas: number) {
  if (replicas <= 1) return undefined;
  return { maxUnavailable: 1, selector: { matchLabels: selector } };
}

/** An image pinned per architecture, or one multi-arch reference. */
export type ImagePin = string | { amd64: string; arm64: string };

/**
 * The image for the cluster's architecture. Multi-arch references need nothing else; a per-arch
 * pin on a mixed cluster uses the amd64 build and a node selector keeping it on amd64 nodes.
 */
export function imageFor(pin: ImagePin, arch: Arch): { image: string; nodeSelector?: Record<string, string> } {
  if (typeof pin === "string") return { image: pin };
  if (arch === "mixed") return { image: pin.amd64, nodeSelector: { "kubernetes.io/arch": "amd64" } };
  return { image: pin[arch] };
}

/** A tag swapped in an image reference: `kuard-amd64:blue` -> `kuard-amd64:green`. */
export function withTag(image: string, tag: string): string {
  const at = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  return `${at > slash ? image.slice(0, at) : image}:${tag}`;
}

/** The public host name of an app. */
export function hostFor(app: string, domain: string): string {
  return `${app}.${domain}`;
}

/** The URL clients use: through the Gateway when there is one, else the in-cluster Service address. */
export function publicUrl(
  app: string,
  domain: string,
  gateway: Pick<GatewayRef, "scheme"> | undefined,
  inCluster: string,
): string {
  return gateway ? `${gateway.scheme}://${hostFor(app, domain)}` : inCluster;
}

/** The spec of an HTTPRoute sending every path of `hostname` to one Service port. */
export function httpRouteSpec(
  gateway: GatewayRef,
  hostname: string,
  service: pulumi.Input<string>,
  port: number,
  pathPrefix = "/",
) {
  return {
    parentRefs: [{ name: gateway.name, namespace: gateway.namespace, sectionName: gateway.sectionName }],
    hostnames: [hostname],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: pathPrefix } }],
        backendRefs: [{ name: service, port }],
      },
    ],
  };
}

/** Who may open connections to some ports: anyone, any pod of the namespace, or pods with these labels. */
export interface IngressRule {
  /** TCP ports. */
  ports: number[];
  /** "gateway" (the Gateway's proxy pods, in their own namespace), "namespace", or pod label sets. */
  from: "gateway" | "namespace" | Record<string, string>[];
}

/**
 * An ingress NetworkPolicy for the pods matching `pods`, under the namespace's default deny:
 * each rule admits only its peers, on only its ports. A database names its one app's pods, so
 * no other pod of the instance (a dashboard, a Job) reaches it.
 */
export function ingressPolicySpec(pods: Record<string, string>, rules: IngressRule[]) {
  return {
    podSelector: { matchLabels: pods },
    policyTypes: ["Ingress"],
    // An empty `from` would admit every source: a rule naming no peers is left out instead.
    ingress: rules
      .filter((r) => r.from === "gateway" || r.from === "namespace" || r.from.length > 0)
      .map((r) => {
        const ports = r.ports.map((port) => ({ port, protocol: "TCP" }));
        if (r.from === "gateway") return { from: [GATEWAY_PROXIES], ports };
        if (r.from === "namespace") return { from: [{ podSelector: {} }], ports };
        return { from: r.from.map((matchLabels) => ({ podSelector: { matchLabels } })), ports };
      }),
  };
}

/** A shell command as an exec probe. */
export function execProbe(command: string, periodSeconds = 10, initialDelaySeconds = 10) {
  return {
    exec: { command: ["sh", "-c", command] },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: 6,
  };
}
