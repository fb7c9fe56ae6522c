/**
 * What bootstrap hands to workloads: where to deploy, how to expose, what to store on.
 * Workloads depend on this, never on the target.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface GatewayRef {
  /** Name of the shared Gateway that HTTPRoutes attach to. */
  name: pulumi.Output<string>;
  /** Its namespace. */
  namespace: pulumi.Output<string>;
  /** The listener section workloads attach to (`http` or `https`). */
  sectionName: string;
  /** Scheme clients use to reach routes on this Gateway. */
  scheme: "http" | "https";
}

export interface Platform {
  /** Namespace for applications (Pod Security "restricted", default-deny NetworkPolicies). */
  appsNamespace: pulumi.Output<string>;
  /** The shared Gateway, when the gateway add-on is on; workloads then create HTTPRoutes. */
  gateway: GatewayRef | undefined;
  /** StorageClass for PersistentVolumeClaims. */
  storageClass: pulumi.Output<string>;
  /** Base DNS domain for app hostnames, e.g. "kuar.example.com" gives "ghost.kuar.example.com". */
  domain: string;
  /** Resources workloads must wait for (CRDs, namespaces, policies). */
  dependsOn: pulumi.Resource[];
  /** Namespace the add-ons (and the Gateway) run in. @default absent when built by hand (tests) */
  systemNamespace?: pulumi.Output<string>;
  /** ClusterIssuer for workloads that want their own cert-manager Certificates; absent without cert-manager. */
  clusterIssuer?: pulumi.Output<string>;
}
