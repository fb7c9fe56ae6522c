/**
 * cert-manager from its official chart (CRDs included) and a ClusterIssuer. Self-signed mode is a
 * private CA: a self-signed issuer signs one CA certificate, and a CA issuer signs everything else,
 * so clients trust one root instead of every leaf. ACME mode talks to Let's Encrypt (or any ACME
 * CA), answering HTTP-01 through the shared Gateway unless a DNS-01 solver is given.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts } from "../config/versions.js";
import { chartArgs } from "./chart.js";
import { ACME_SERVERS } from "./schema.js";
import type { ConfigProblem } from "../config/errors.js";
import { disabled, firstReason, OFFLINE, type AddonDefinition } from "./addon.js";

export interface AcmeInputs {
  email: string;
  /** "production", "staging" or a directory URL. */
  server: string;
  dns01?: Record<string, unknown>;
  eabKeyId?: string;
}

/** The directory URL for a configured ACME server. */
export function acmeServerUrl(server: string): string {
  return server === "production" || server === "staging" ? ACME_SERVERS[server] : server;
}

/** The ACME ClusterIssuer's spec. Pure: the solver comes from config or points at the Gateway. */
export function acmeIssuerSpec(
  acme: AcmeInputs,
  names: { accountSecret: string; eabSecret?: string; gateway?: { name: string; namespace: string } },
): Record<string, unknown> {
  const solver = acme.dns01
    ? { dns01: acme.dns01 }
    : {
        http01: {
          gatewayHTTPRoute: {
            parentRefs: names.gateway
              ? [{ kind: "Gateway", name: names.gateway.name, namespace: names.gateway.namespace, sectionName: "http" }]
              : [],
          },
        },
      };
  return {
    acme: {
      email: acme.email,
      server: acmeServerUrl(acme.server),
      privateKeySecretRef: { name: names.accountSecret },
      ...(acme.eabKeyId && names.eabSecret
        ? { externalAccountBinding: { keyID: acme.eabKeyId, keySecretRef: { name: names.eabSecret, key: "secret" } } }
        : {}),
      solvers: [solver],
    },
  };
}

export interface CertManagerArgs {
  /** Namespace for cert-manager; CA secrets live here (its cluster resource namespace). */
  namespace: string;
  /** Base domain, named in the CA and the Gateway certificate. */
  domain: string;
  /** ACME settings; none means the private CA. @default none */
  acme?: AcmeInputs;
  /** External Account Binding HMAC key, when `acme.eabKeyId` is set. @default none */
  eabHmacKey?: pulumi.Output<string>;
  /** The shared Gateway: enables cert-manager's Gateway API support and gets a certificate. @default none */
  gateway?: { name: string; namespace: string; tlsSecretName: string; hosts: string[] };
  /** Resources the chart waits for (the Gateway API CRDs when `gateway` is set). @default [] */
  dependsOn?: pulumi.Resource[];
}

const CERT_MANAGER = "cert-manager.io/v1";

export class CertManager extends pulumi.ComponentResource {
  /** The ClusterIssuer certificates should name. */
  readonly issuerName: pulumi.Output<string>;
  readonly chart: k8s.helm.v4.Chart;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:CertManager", name, {}, opts);
    const ns = args.namespace;
    const resources = { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
    this.chart = new k8s.helm.v4.Chart(
      `${name}`,
      chartArgs(charts.certManager, ns, {
        crds: { enabled: true },
        resources,
        webhook: { resources },
        cainjector: { resources },
        // Pulumi already waits for the webhook Deployment; the post-install check Job adds nothing.
        startupapicheck: { enabled: false },
        ...(args.gateway
          ? {
              config: {
                apiVersion: "controller.config.cert-manager.io/v1alpha1",
                kind: "ControllerConfiguration",
                enableGatewayAPI: true,
              },
            }
          : {}),
      }),
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    const afterChart = { parent: this, dependsOn: [this.chart] };
    const clusterIssuer = (suffix: string, spec: pulumi.Input<Record<string, unknown>>, deps: pulumi.Resource[]) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${suffix}`,
        { apiVersion: CERT_MANAGER, kind: "ClusterIssuer", metadata: { name: `${name}-${suffix}` }, spec },
        { parent: this, dependsOn: [this.chart, ...deps] },
      );

    let issuer: k8s.apiextensions.CustomResource;
    const issuers: pulumi.Resource[] = [];
    if (args.acme) {
      let eabSecret: k8s.core.v1.Secret | undefined;
      if (args.acme.eabKeyId && args.eabHmacKey) {
        eabSecret = new k8s.core.v1.Secret(
          `${name}-acme-eab`,
          {
            metadata: { name: `${name}-acme-eab`, namespace: ns },
            type: "Opaque",
            stringData: { secret: pulumi.secret(args.eabHmacKey) },
          },
          afterChart,
        );
      }
      const spec = acmeIssuerSpec(args.acme, {
        accountSecret: `${name}-acme-account`,
        ...(eabSecret ? { eabSecret: `${name}-acme-eab` } : {}),
        ...(args.gateway ? { gateway: { name: args.gateway.name, namespace: args.gateway.namespace } } : {}),
      });
      issuer = clusterIssuer("acme", spec, eabSecret ? [eabSecret] : []);
      issuers.push(issuer);
    } else {
      const selfSigned = clusterIssuer("selfsigned", { selfSigned: {} }, []);
      const ca = new k8s.apiextensions.CustomResource(
        `${name}-ca`,
        {
          apiVersion: CERT_MANAGER,
          kind: "Certificate",
          metadata: { name: `${name}-ca`, namespace: ns },
          spec: {
            isCA: true,
            commonName: `kuar ${args.domain} CA`,
            secretName: `${name}-ca`,
            duration: "87600h",
            privateKey: { algorithm: "ECDSA", size: 256 },
            issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: selfSigned.metadata.name },
          },
        },
        { parent: this, dependsOn: [this.chart, selfSigned] },
      );
      issuer = clusterIssuer("ca", { ca: { secretName: `${name}-ca` } }, [ca]);
      issuers.push(selfSigned, ca, issuer);
    }

    if (args.gateway) {
      issuers.push(
        new k8s.apiextensions.CustomResource(
          `${name}-gateway-tls`,
          {
            apiVersion: CERT_MANAGER,
            kind: "Certificate",
            metadata: { name: args.gateway.tlsSecretName, namespace: args.gateway.namespace },
            spec: {
              secretName: args.gateway.tlsSecretName,
              dnsNames: args.gateway.hosts,
              privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
              issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: issuer.metadata.name },
            },
          },
          { parent: this, dependsOn: [this.chart, issuer] },
        ),
      );
    }
    this.issuerName = issuer.metadata.name;
    this.ready = [this.chart, ...issuers];
    this.registerOutputs({ issuerName: this.issuerName });
  }
}

/** The secret config key holding the ACME External Account Binding HMAC key. */
const EAB_SECRET = "acmeEabHmacKey";

/** cert-manager with its ClusterIssuer; it issues the shared Gateway's certificate when there is one. */
export const certManagerAddon: AddonDefinition = {
  id: "cert-manager",
  section: "certManager",
  waitsFor: ["namespaces", "coredns", "envoy-gateway"],
  skip: (caps, addons) =>
    firstReason([
      [!addons.certManager.enabled, disabled("certManager")],
      [!caps.online, OFFLINE],
    ]),
  provides: { gatewayTls: true },
  secrets: [EAB_SECRET],
  problems(_caps, addons, inputs) {
    const problems: ConfigProblem[] = [];
    const hasEabSecret = inputs.secrets?.includes(EAB_SECRET) ?? false;
    const acme = addons.certManager.issuer === "acme" ? addons.certManager.acme : undefined;
    if (addons.certManager.enabled && acme?.eabKeyId && !hasEabSecret) {
      problems.push({
        path: "kuar:acmeEabHmacKey",
        received: undefined,
        message: "is required because kuar:addons.certManager.acme.eabKeyId is set (External Account Binding)",
        fix: "Run: pulumi config set --secret kuar:acmeEabHmacKey <HMAC key from your CA>.",
      });
    }
    if (addons.certManager.enabled && acme && !acme.eabKeyId && hasEabSecret) {
      problems.push({
        path: "kuar:addons.certManager.acme.eabKeyId",
        received: undefined,
        message: "is required because the secret kuar:acmeEabHmacKey is set; an HMAC key is useless without its key ID",
        fix: "Set the key ID your CA gave you: pulumi config set --path 'kuar:addons.certManager.acme.eabKeyId' <id>, or remove the secret.",
      });
    }
    return problems;
  },
  install(ctx) {
    const a = ctx.addons;
    const acme = a.certManager.issuer === "acme" ? a.certManager.acme : undefined;
    const eab = ctx.secrets[EAB_SECRET];
    const gateway = ctx.shared.gateway;
    const certManager = new CertManager(
      `${ctx.name}-cert-manager`,
      {
        namespace: a.namespaces.system,
        domain: a.domain,
        ...(acme ? { acme } : {}),
        ...(eab ? { eabHmacKey: eab } : {}),
        ...(gateway?.tlsSecretName
          ? {
              gateway: {
                name: gateway.name,
                namespace: gateway.namespace,
                tlsSecretName: gateway.tlsSecretName,
                hosts: acme?.hosts ?? [a.domain, `*.${a.domain}`],
              },
            }
          : {}),
        dependsOn: ctx.waitFor(),
      },
      ctx.child,
    );
    return { ready: certManager.ready, clusterIssuer: certManager.issuerName };
  },
};
