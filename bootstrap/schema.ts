/**
 * Stack config for add-ons (`kuar:addons`). Owned by bootstrap/. Which add-ons actually install
 * also depends on the cluster's capabilities (see plan.ts); `enabled: true` means "install when
 * the cluster needs it", `enabled: false` means never.
 */
import { z } from "zod";
import { dnsLabel, matching, parseCidr, parseIPv4 } from "../config/fields.js";
import { fix } from "../config/toolkit.js";
import type { AddonDefinition } from "./addon.js";
import { certManagerAddon } from "./cert-manager.js";
import { dashboardAddon } from "./dashboard.js";
import { corednsAddon } from "./dns.js";
import { externalDnsAddon } from "./external-dns.js";
import { gatewayAddon } from "./gateway.js";
import { metallbAddon } from "./metallb.js";
import { metricsAddon } from "./metrics.js";
import { namespacesAddon } from "./namespaces.js";
import { storageAddon } from "./storage.js";

/** A DNS name such as `kuar.example.com` (lowercase labels joined by dots). */
export const domainName = matching(
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/,
  'expected a lowercase DNS name such as "kuar.example.com"',
  "Use lowercase labels of letters, digits and dashes joined by dots, without a trailing dot or scheme.",
);

/** An environment variable name such as `CF_API_TOKEN`. */
const envName = matching(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  'expected an environment variable name such as "CF_API_TOKEN"',
  "Use letters, digits and underscores, not starting with a digit.",
);

/** A DNS name that may start with `*.` (certificate names). */
const certificateName = z.string().refine((s) => domainName.safeParse(s.startsWith("*.") ? s.slice(2) : s).success, {
  message: 'expected a DNS name such as "ghost.kuar.example.com" or "*.kuar.example.com"',
  ...fix("Use a lowercase DNS name, optionally starting with '*.'."),
});

/** An IPv4 address such as `10.96.0.10`. */
export const ipv4 = z.string().refine((s) => parseIPv4(s) !== undefined, {
  message: 'expected an IPv4 address such as "10.96.0.10"',
  ...fix("Write four numbers from 0 to 255 separated by dots."),
});

/** An upstream DNS server: an IPv4 address with an optional port (`1.1.1.1`, `10.0.0.53:5353`). */
export const upstream = z.string().refine((s) => parseUpstream(s) !== undefined, {
  message: 'expected a DNS server as an IPv4 address with an optional port, such as "1.1.1.1" or "10.0.0.53:5353"',
  ...fix("Write the server's IPv4 address, optionally followed by ':' and a port from 1 to 65535."),
});

export function parseUpstream(s: string): { ip: string; port: number } | undefined {
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(s);
  if (!m || parseIPv4(m[1]!) === undefined) return undefined;
  const port = m[2] === undefined ? 53 : Number(m[2]);
  return port >= 1 && port <= 65535 ? { ip: m[1]!, port } : undefined;
}

/** The first and last address (as numbers) of `a.b.c.d-a.b.c.e` or a CIDR; undefined if malformed. */
export function parseAddressRange(s: string): { start: number; end: number } | undefined {
  if (s.includes("/")) {
    const c = parseCidr(s);
    return c && { start: c.base, end: c.base + 2 ** (32 - c.prefix) - 1 };
  }
  const parts = s.split("-").map((p) => p.trim());
  if (parts.length !== 2) return undefined;
  const [start, end] = parts.map((p) => parseIPv4(p));
  return start === undefined || end === undefined ? undefined : { start, end };
}

const addressRange = z.string().superRefine((s, ctx) => {
  const r = parseAddressRange(s);
  if (!r) {
    ctx.addIssue({
      code: "custom",
      input: s,
      message: 'expected an IPv4 range "192.168.1.240-192.168.1.250" or a CIDR "192.168.1.240/28"',
      ...fix("Write two IPv4 addresses joined by '-', or an address, '/' and a prefix length from 0 to 32."),
    });
  } else if (r.start > r.end) {
    ctx.addIssue({
      code: "custom",
      input: s,
      message: "starts after it ends",
      ...fix("Put the lower address first, e.g. 192.168.1.240-192.168.1.250."),
    });
  }
});

export const ACME_SERVERS = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

const acmeSchema = z.strictObject({
  /** Account email Let's Encrypt (or your CA) sends expiry notices to. @default none: required with ACME */
  email: matching(
    /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
    'expected an email address such as "ops@example.com"',
    "Use a mailbox you read: the CA sends expiry warnings there.",
  ),
  /** `"production"`, `"staging"` (Let's Encrypt) or the https URL of another ACME directory. @default "production" */
  server: z
    .string()
    .refine((s) => s === "production" || s === "staging" || /^https:\/\/[^\s]+$/.test(s), {
      message: 'expected "production", "staging" or an https:// ACME directory URL',
      ...fix('Use "staging" while testing (higher rate limits), "production" for trusted certificates.'),
    })
    .default("production"),
  /**
   * A cert-manager `dns01` solver block, passed through as-is (e.g. `{cloudflare: {...}}`). Set it
   * for wildcard certificates. @default none: HTTP-01 through the shared Gateway
   */
  dns01: z.record(z.string(), z.unknown()).optional(),
  /**
   * Names on the Gateway's certificate. HTTP-01 cannot prove wildcards, so set this when `dns01`
   * is not. @default [domain, "*.<domain>"]
   */
  hosts: z.array(certificateName).min(1).optional(),
  /** Key ID for External Account Binding; its HMAC key comes from the secret `kuar:acmeEabHmacKey`. @default none */
  eabKeyId: z.string().min(1).optional(),
});

export const addonsSchema = z
  .strictObject({
    /** Base DNS domain for app hostnames and the Gateway certificate. @default "kuar.local" */
    domain: domainName.default("kuar.local"),
    /** Namespaces and their default policies. @default each setting's default */
    namespaces: z
      .strictObject({
        /** Namespace for add-ons (Pod Security "baseline"). @default "kuar-system" */
        system: dnsLabel.default("kuar-system"),
        /** Namespace for applications (Pod Security "restricted"). @default "apps" */
        apps: dnsLabel.default("apps"),
        /** Default NetworkPolicies in the apps namespace. @default true */
        networkPolicies: z.boolean().default(true),
        /**
         * Egress from apps: `"restricted"` allows only the same namespace and DNS; `"open"` adds no
         * egress policy. @default "restricted"
         */
        egress: z.enum(["restricted", "open"]).default("restricted"),
      })
      .prefault({}),
    /** CoreDNS, installed when the cluster runs no DNS of its own. @default each setting's default */
    dns: z
      .strictObject({
        /** Install CoreDNS when `capabilities.dns` is false. @default true */
        enabled: z.boolean().default(true),
        /** ClusterIP of the `kube-dns` Service; must match the kubelets' `clusterDNS`. @default "10.96.0.10" */
        clusterIP: ipv4.default("10.96.0.10"),
        /** The cluster's DNS domain. @default "cluster.local" */
        clusterDomain: domainName.default("cluster.local"),
        /** Servers for names outside the cluster. @default [] (the node's /etc/resolv.conf) */
        upstreams: z.array(upstream).default([]),
        /** Per-domain servers, e.g. `[{domain: "corp.example", servers: ["10.0.0.53"]}]`. @default [] */
        stubDomains: z.array(z.strictObject({ domain: domainName, servers: z.array(upstream).min(1) })).default([]),
        /** CoreDNS replicas (a PodDisruptionBudget keeps one up when more than one). @default 2 */
        replicas: z.int().min(1).max(10).default(2),
      })
      .prefault({})
      .meta({ title: "CoreDNS (when the cluster runs no DNS of its own)" }),
    /** Headlamp, the Kubernetes web UI. @default each setting's default */
    dashboard: z
      .strictObject({
        /** Install Headlamp and its ServiceAccount. @default true */
        enabled: z.boolean().default(true),
        /** What the dashboard's ServiceAccount may do: the built-in `view` or `cluster-admin` role. @default "read-only" */
        access: z.enum(["read-only", "admin"]).default("read-only"),
      })
      .prefault({})
      .meta({ title: "Headlamp dashboard (read-only)" }),
    /** Envoy Gateway, a GatewayClass and the shared Gateway workloads attach HTTPRoutes to. @default each setting's default */
    gateway: z
      .strictObject({
        /** Install the Gateway API implementation and the shared Gateway. @default true */
        enabled: z.boolean().default(true),
      })
      .prefault({})
      .meta({ title: "Gateway API: Envoy Gateway and a shared Gateway" }),
    /** cert-manager and a ClusterIssuer. @default each setting's default */
    certManager: z
      .strictObject({
        /** Install cert-manager. @default true */
        enabled: z.boolean().default(true),
        /** `"self-signed"`: a private CA issued by a self-signed root; `"acme"`: see `acme`. @default "self-signed" */
        issuer: z.enum(["self-signed", "acme"]).default("self-signed"),
        /** ACME settings, required when `issuer` is `"acme"`. @default none */
        acme: acmeSchema.optional(),
      })
      .prefault({})
      .meta({
        title: "cert-manager with a private CA issuer",
        // An ACME CA's External Account Binding: the key ID is config, its HMAC key a secret.
        secretsWhenSet: { acmeEabHmacKey: ["acme", "eabKeyId"] },
      }),
    /** metrics-server, installed when the cluster does not serve the metrics API. @default each setting's default */
    metrics: z
      .strictObject({
        /** Install metrics-server when `capabilities.metricsServer` is false. @default true */
        enabled: z.boolean().default(true),
        /** Skip verifying kubelet serving certificates (kubeadm clusters with self-signed ones). @default false */
        kubeletInsecureTLS: z.boolean().default(false),
      })
      .prefault({})
      .meta({ title: "metrics-server (when the cluster has none)" }),
    /** A default StorageClass (local-path provisioner) when the cluster has none. @default each setting's default */
    storage: z
      .strictObject({
        /** Install local-path when `capabilities.defaultStorageClass` is undefined. @default true */
        enabled: z.boolean().default(true),
        /** Name of the StorageClass. @default "local-path" */
        className: dnsLabel.default("local-path"),
        /** Directory on each node that holds the volumes. @default "/opt/local-path-provisioner" */
        path: matching(/^\/[^\s]*$/, "expected an absolute path", "Start the path with '/'.").default(
          "/opt/local-path-provisioner",
        ),
      })
      .prefault({})
      .meta({ title: "local-path storage (when there is no default StorageClass)" }),
    /** MetalLB, installed when `capabilities.loadBalancer` is `"metallb"`. @default each setting's default */
    metallb: z
      .strictObject({
        /** Install MetalLB on bare-metal clusters. @default true */
        enabled: z.boolean().default(true),
        /** Addresses to hand out: ranges `"a.b.c.d-a.b.c.e"` or CIDRs, not overlapping. Required with MetalLB. @default [] */
        addresses: z.array(addressRange).default([]),
      })
      .prefault({})
      .meta({
        title: "MetalLB load balancer (bare metal)",
        // MetalLB only ever installs on bare metal: offered where the target hands out no other addresses.
        requires: { loadBalancer: "metallb" },
        ask: [
          {
            field: "addresses",
            message: "MetalLB address pool: free addresses on your LAN outside DHCP (ranges or CIDRs, comma-separated)",
            default: "192.168.1.240-192.168.1.250",
            kind: "list",
          },
        ],
      }),
    /** external-dns, publishing Gateway routes and Services to a DNS provider. @default each setting's default */
    externalDns: z
      .strictObject({
        /** Install external-dns. @default false */
        enabled: z.boolean().default(false),
        /** external-dns provider name, e.g. `"cloudflare"`, `"aws"`, `"google"`, `"azure"`. Required when enabled. @default none */
        provider: dnsLabel.optional(),
        /** Only manage records under these domains. @default [domain] */
        domainFilters: z.array(domainName).optional(),
        /** Owner ID in TXT records, so two clusters never fight over a zone. @default "kuar" */
        txtOwnerId: dnsLabel.default("kuar"),
        /** Secret in the system namespace holding the provider's credentials; create it yourself. @default none (workload identity) */
        credentialsSecret: dnsLabel.optional(),
        /**
         * Keys of `credentialsSecret`, each passed to external-dns as the environment variable of the
         * same name (e.g. `["CF_API_TOKEN"]`). Required with `credentialsSecret`. @default []
         */
        credentialsKeys: z.array(envName).default([]),
        /** `"upsert-only"` never deletes records; `"sync"` also deletes the ones it owns. @default "upsert-only" */
        policy: z.enum(["upsert-only", "sync"]).default("upsert-only"),
      })
      .prefault({})
      .meta({
        title: "external-dns (publishes routes to your DNS provider)",
        ask: [{ field: "provider", message: "external-dns provider (cloudflare, aws, google, azure, ...)" }],
      }),
  })
  .superRefine((a, ctx) => {
    const problem = (path: (string | number)[], input: unknown, message: string, fixText: string) =>
      ctx.addIssue({ code: "custom", path, input, message, ...fix(fixText) });

    const ranges = a.metallb.addresses.map((s, i) => ({ i, s, r: parseAddressRange(s) }));
    for (let x = 0; x < ranges.length; x++) {
      for (let y = x + 1; y < ranges.length; y++) {
        const [p, q] = [ranges[x]!, ranges[y]!];
        if (p.r && q.r && p.r.start <= q.r.end && q.r.start <= p.r.end) {
          problem(
            ["metallb", "addresses", q.i],
            q.s,
            `overlaps metallb.addresses[${p.i}] (${p.s})`,
            "Pick ranges that do not share addresses, or merge them into one.",
          );
        }
      }
    }

    const cm = a.certManager;
    if (cm.enabled && cm.issuer === "acme" && !cm.acme) {
      problem(
        ["certManager", "acme"],
        undefined,
        'is required when certManager.issuer is "acme"',
        "Set at least the email: pulumi config set --path 'kuar:addons.certManager.acme.email' ops@example.com.",
      );
    }
    if (cm.enabled && cm.issuer === "acme" && cm.acme && !cm.acme.dns01) {
      if (!a.gateway.enabled) {
        problem(
          ["gateway", "enabled"],
          false,
          "must be true for ACME HTTP-01, which answers challenges through the shared Gateway",
          "Enable the gateway, or set certManager.acme.dns01 to a cert-manager DNS-01 solver.",
        );
      }
      const wild = (cm.acme.hosts ?? [`*.${a.domain}`]).filter((h) => h.startsWith("*."));
      if (wild.length > 0) {
        problem(
          ["certManager", "acme", "hosts"],
          cm.acme.hosts,
          `must list names without wildcards for HTTP-01 (the default includes "*.${a.domain}", which only DNS-01 can prove)`,
          `List the app hostnames, e.g. ["ghost.${a.domain}", "parse.${a.domain}"], or set certManager.acme.dns01.`,
        );
      }
    }
    const dns = a.externalDns;
    if (dns.credentialsSecret && dns.credentialsKeys.length === 0) {
      problem(
        ["externalDns", "credentialsKeys"],
        [],
        `must name at least one key of the Secret "${dns.credentialsSecret}": each becomes an environment variable of external-dns (the chart sets only env, so a whole Secret cannot be passed)`,
        "List the keys the provider reads, e.g. pulumi config set --path 'kuar:addons.externalDns.credentialsKeys[0]' CF_API_TOKEN.",
      );
    }
    if (!dns.credentialsSecret && dns.credentialsKeys.length > 0) {
      problem(
        ["externalDns", "credentialsSecret"],
        undefined,
        "is required when externalDns.credentialsKeys is set: the keys are read from that Secret",
        "Name the Secret in the system namespace: pulumi config set --path 'kuar:addons.externalDns.credentialsSecret' <secret-name>.",
      );
    }
    if (a.externalDns.enabled && !a.externalDns.provider) {
      problem(
        ["externalDns", "provider"],
        undefined,
        "is required when externalDns.enabled is true",
        "Set the DNS provider external-dns should use, e.g. cloudflare, aws, google or azure.",
      );
    }
  });

export type AddonsConfig = z.output<typeof addonsSchema>;

/**
 * The add-ons in install order, each defined beside its component (addon.ts says what a
 * definition holds). A new add-on adds its section above and its entry here; plan.ts and the
 * Bootstrap component walk this list and name none of them. A function, because the components
 * import this module too: the list is built once every module has loaded.
 */
export function addonRegistry(): readonly AddonDefinition[] {
  return [
    namespacesAddon,
    corednsAddon,
    dashboardAddon,
    metallbAddon,
    gatewayAddon,
    certManagerAddon,
    metricsAddon,
    storageAddon,
    externalDnsAddon,
  ];
}
