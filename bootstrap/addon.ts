/**
 * The add-on contract: what each add-on's component file exports so that plan.ts and the
 * Bootstrap component install it without naming it. The ordered list of definitions lives next
 * to the schema sections (`addonRegistry` in schema.ts), so a new add-on is its component file
 * (with its definition), its schema section plus one registry entry, and its docs/addons.md row.
 *
 * Add-ons learn about each other only through typed values: `Facts` (known from the plan, before
 * anything registers) and `Shared` (handed over by add-ons installed earlier). Nothing branches on
 * another add-on's id.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ConfigProblem } from "../config/errors.js";
import type { ClusterCapabilities } from "../providers/contract.js";
import type { DnsPeer } from "./network.js";
import type { AddonsConfig } from "./schema.js";

/** One entry of the plan: an id in `skipped` and `kuar plan`, its edges and when it is left out. */
export interface AddonPart {
  /** The id in the plan, the `skipped` output and `kuar plan`. */
  id: string;
  /** Ids it waits for when both install; each must come earlier in the registry. */
  waitsFor: readonly string[];
  /** Why it is left out on this cluster with this config, or undefined when it installs. */
  skip(caps: ClusterCapabilities, addons: AddonsConfig): string | undefined;
}

/** What the plan checks besides the config: which secrets are set. */
export interface PlanInputs {
  /** Secret config keys (`kuar:<key>`) the stack sets. @default [] */
  secrets?: readonly string[];
}

/** Facts that hold as soon as the add-on providing them is planned, known to every install. */
export interface Facts {
  /** The cluster DNS pods restricted egress must reach, when kuar runs them itself. */
  dnsPeer?: DnsPeer;
  /** An add-on issues the shared Gateway's certificate into `<gateway>-tls`, so it serves https. */
  gatewayTls?: boolean;
}

/** The shared Gateway as add-ons installed after it see it. */
export interface SharedGateway {
  /** Its name and namespace before it registers (certificates and solvers name it). */
  name: string;
  namespace: string;
  /** The Secret its https listener serves, when `Facts.gatewayTls` holds. */
  tlsSecretName?: string;
  /** The registered Gateway's name and namespace, for routes. */
  outputs: { name: pulumi.Output<string>; namespace: pulumi.Output<string> };
}

/** What installed add-ons hand over, to later add-ons and to the Platform workloads build on. */
export interface Shared {
  /** The system and apps namespaces. */
  namespaces?: { system: pulumi.Output<string>; apps: pulumi.Output<string> };
  /** The shared Gateway routes attach to. */
  gateway?: SharedGateway;
  /** The StorageClass PersistentVolumeClaims use. */
  storageClass?: pulumi.Output<string>;
  /** A ClusterIssuer for workloads' own Certificates. */
  clusterIssuer?: pulumi.Output<string>;
}

/** Secrets from stack config by key (`kuar:<key>`); each add-on gets the ones it declares. */
export type BootstrapSecrets = Partial<Record<string, pulumi.Output<string>>>;

/** What an add-on's install gets. */
export interface AddonContext {
  /** The Bootstrap's name; children are named `${name}-<add-on>`. */
  name: string;
  caps: ClusterCapabilities;
  addons: AddonsConfig;
  /** The stack's secrets among the add-on's own `secrets` (and no others). */
  secrets: BootstrapSecrets;
  /** Facts provided by every add-on the plan installs. */
  facts: Facts;
  /** What add-ons installed before this one handed over. */
  shared: Shared;
  /** Options for the add-on's component: its parent is the Bootstrap. */
  child: { parent: pulumi.Resource };
  /** Whether one of this add-on's own parts installs. */
  installs(partId: string): boolean;
  /** The ready resources of what this add-on (or one of its parts) waits for. @default the add-on itself */
  waitFor(partId?: string): pulumi.Resource[];
}

/** What an install hands back: what others wait for, and what it shares. */
export interface Installed extends Shared {
  /** What add-ons (and workloads) that wait for this one wait for. */
  ready: pulumi.Resource[];
}

/** An add-on as its component file exports it. */
export interface AddonDefinition extends AddonPart {
  /** Its section under `kuar:addons` (the registry test checks the schema and docs have it). */
  section: keyof AddonsConfig;
  /** Pieces decided on their own that the same install creates (Headlamp's chart beside its RBAC). @default [] */
  parts?: readonly AddonPart[];
  /** Secret config keys (`kuar:<key>`) it reads; its install gets only these. @default [] */
  secrets?: readonly string[];
  /** Facts that hold whenever it installs. @default none */
  provides?: Facts;
  /** Workloads wait for it (`Platform.dependsOn`). @default false */
  workloadsWait?: boolean;
  /** Problems only visible once the capabilities are known (the schema cannot see them). @default none */
  problems?(caps: ClusterCapabilities, addons: AddonsConfig, inputs: PlanInputs): ConfigProblem[];
  /** What it hands over when the plan leaves it out. @default nothing */
  fallback?(caps: ClusterCapabilities, addons: AddonsConfig): Shared;
  /** Registers the add-on's component; called only when the plan installs it. */
  install(ctx: AddonContext): Installed;
}

/** The reason an add-on disabled in its section gives. */
export const disabled = (section: string) => `disabled by kuar:addons.${section}.enabled`;

/** The reason a chart-based add-on gives on a cluster without the internet. */
export const OFFLINE = "chart download needs the internet; this cluster is offline (capabilities.online is false)";

/** The first reason that applies, if any: `[applies, reason]` pairs checked in order. */
export function firstReason(reasons: [boolean, string][]): string | undefined {
  return reasons.find(([applies]) => applies)?.[1];
}
