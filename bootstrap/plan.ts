/**
 * Which add-ons a cluster gets, decided from its capabilities and `kuar:addons` only (never from
 * the target's name), with a reason for each one left out and the order they install in.
 * Plain data in, plain data out: tested directly.
 */
import { ConfigError, type ConfigProblem } from "../config/errors.js";
import type { ClusterCapabilities } from "../providers/contract.js";
import type { AddonsConfig } from "./schema.js";

export const ADDONS = [
  "namespaces",
  "coredns",
  "dashboard-rbac",
  "headlamp",
  "metallb",
  "envoy-gateway",
  "cert-manager",
  "metrics-server",
  "local-path-storage",
  "external-dns",
] as const;
export type AddonId = (typeof ADDONS)[number];

export interface Skip {
  addon: AddonId;
  reason: string;
}

export interface AddonPlan {
  /** Add-ons to install. */
  install: Record<AddonId, boolean>;
  /** Add-ons left out, each with why. */
  skipped: Skip[];
  /** For each installed add-on, the installed add-ons it must wait for. */
  after: Partial<Record<AddonId, AddonId[]>>;
}

export interface PlanInputs {
  /** Whether the `kuar:acmeEabHmacKey` secret is set. @default false */
  hasEabSecret?: boolean;
}

/**
 * What each add-on waits for when both are installed. Charts wait for DNS (their pods resolve
 * names) and their namespace; cert-manager waits for the Gateway API CRDs Envoy Gateway ships so
 * its Gateway support starts; external-dns waits for the same CRDs to watch HTTPRoutes.
 */
const WAITS_FOR: Record<AddonId, AddonId[]> = {
  namespaces: [],
  coredns: [],
  "dashboard-rbac": ["namespaces"],
  headlamp: ["namespaces", "coredns", "dashboard-rbac"],
  metallb: ["coredns"],
  "envoy-gateway": ["namespaces", "coredns", "metallb"],
  "cert-manager": ["namespaces", "coredns", "envoy-gateway"],
  "metrics-server": ["namespaces", "coredns"],
  "local-path-storage": ["coredns"],
  "external-dns": ["namespaces", "coredns", "envoy-gateway"],
};

const OFFLINE = "chart download needs the internet; this cluster is offline (capabilities.online is false)";

/** Decides the add-ons. Throws ConfigError listing every problem the capabilities reveal in the config. */
export function planAddons(caps: ClusterCapabilities, addons: AddonsConfig, inputs: PlanInputs = {}): AddonPlan {
  const problems = planProblems(caps, addons, inputs);
  if (problems.length > 0) throw new ConfigError(problems);

  const skipped: Skip[] = [];
  const decide = (addon: AddonId, reasons: [boolean, string][]): boolean => {
    const hit = reasons.find(([applies]) => applies);
    if (hit) skipped.push({ addon, reason: hit[1] });
    return !hit;
  };
  const disabled = (key: string) => `disabled by kuar:addons.${key}.enabled`;
  const offline: [boolean, string] = [!caps.online, OFFLINE];

  const install: Record<AddonId, boolean> = {
    namespaces: true,
    coredns: decide("coredns", [
      [!addons.dns.enabled, disabled("dns")],
      [caps.dns, "the cluster already runs DNS (capabilities.dns is true)"],
    ]),
    "dashboard-rbac": decide("dashboard-rbac", [[!addons.dashboard.enabled, disabled("dashboard")]]),
    headlamp: decide("headlamp", [[!addons.dashboard.enabled, disabled("dashboard")], offline]),
    metallb: decide("metallb", [
      [!addons.metallb.enabled, disabled("metallb")],
      [
        caps.loadBalancer !== "metallb",
        `the cluster's load balancers come from elsewhere (capabilities.loadBalancer is "${caps.loadBalancer}")`,
      ],
      offline,
    ]),
    "envoy-gateway": decide("envoy-gateway", [[!addons.gateway.enabled, disabled("gateway")], offline]),
    "cert-manager": decide("cert-manager", [[!addons.certManager.enabled, disabled("certManager")], offline]),
    "metrics-server": decide("metrics-server", [
      [!addons.metrics.enabled, disabled("metrics")],
      [caps.metricsServer, "the cluster already serves the metrics API (capabilities.metricsServer is true)"],
      offline,
    ]),
    "local-path-storage": decide("local-path-storage", [
      [!addons.storage.enabled, disabled("storage")],
      [
        caps.defaultStorageClass !== undefined,
        `the cluster already has a default StorageClass "${caps.defaultStorageClass}"`,
      ],
      [!caps.runsContainers, "containers do not run on this cluster, so a provisioner could not create volumes"],
    ]),
    "external-dns": decide("external-dns", [
      [!addons.externalDns.enabled, "off by default; set kuar:addons.externalDns.enabled to true"],
      offline,
    ]),
  };

  const after: AddonPlan["after"] = {};
  for (const addon of ADDONS) {
    if (install[addon]) after[addon] = WAITS_FOR[addon].filter((dep) => install[dep]);
  }
  return { install, skipped, after };
}

/** Problems only visible once the capabilities are known (the schema cannot see them). */
export function planProblems(caps: ClusterCapabilities, addons: AddonsConfig, inputs: PlanInputs): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (caps.loadBalancer === "metallb" && addons.metallb.enabled && addons.metallb.addresses.length === 0) {
    problems.push({
      path: "kuar:addons.metallb.addresses",
      received: addons.metallb.addresses,
      message:
        'needs at least one address range: this cluster\'s load balancer is MetalLB (capabilities.loadBalancer is "metallb") and MetalLB only hands out addresses from a pool',
      fix: "Reserve free addresses on the nodes' network and run: pulumi config set --path 'kuar:addons.metallb.addresses[0]' 192.168.1.240-192.168.1.250.",
    });
  }
  const acme = addons.certManager.issuer === "acme" ? addons.certManager.acme : undefined;
  if (addons.certManager.enabled && acme?.eabKeyId && !inputs.hasEabSecret) {
    problems.push({
      path: "kuar:acmeEabHmacKey",
      received: undefined,
      message: "is required because kuar:addons.certManager.acme.eabKeyId is set (External Account Binding)",
      fix: "Run: pulumi config set --secret kuar:acmeEabHmacKey <HMAC key from your CA>.",
    });
  }
  if (addons.certManager.enabled && acme && !acme.eabKeyId && inputs.hasEabSecret) {
    problems.push({
      path: "kuar:addons.certManager.acme.eabKeyId",
      received: undefined,
      message: "is required because the secret kuar:acmeEabHmacKey is set; an HMAC key is useless without its key ID",
      fix: "Set the key ID your CA gave you: pulumi config set --path 'kuar:addons.certManager.acme.eabKeyId' <id>, or remove the secret.",
    });
  }
  return problems;
}
