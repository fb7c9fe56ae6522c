/**
 * The workload contract: what each workload's component file exports so that the Workloads
 * component deploys it without naming it. The ordered list lives next to the schema sections
 * (`workloadRegistry` in schema.ts), so a new workload is its component file (with its
 * definition), its schema section plus one registry entry, and its docs/workloads.md section.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../bootstrap/platform.js";
import type { AppBaseArgs } from "./common.js";
import type { WorkloadsConfig } from "./schema.js";

/** What a workload's install gets. */
export interface WorkloadContext<K extends keyof WorkloadsConfig> {
  /** The Workloads component's name; children are named `${name}-<workload>`. */
  name: string;
  /** Namespace, arch, Gateway, domain and what to wait for, from the platform. */
  base: AppBaseArgs;
  /** The platform bootstrap handed over (its StorageClass, say). */
  platform: Platform;
  /** The workload's own validated section. */
  config: WorkloadsConfig[K];
  /** The stack's secrets among the workload's own `secrets` (and no others); absent means generate. */
  secrets: Partial<Record<string, pulumi.Output<string>>>;
  /** Options for the workload's component: its parent is the Workloads component. */
  child: { parent: pulumi.Resource };
  /** `host:port` of a Service in the apps namespace, as pods in the cluster reach it. */
  inCluster(service: pulumi.Output<string>, port: number): pulumi.Output<string>;
}

/** A workload as its component file exports it. */
export interface WorkloadDefinition<K extends keyof WorkloadsConfig = keyof WorkloadsConfig> {
  /** Its section under `kuar:workloads`; it deploys when that section's `enabled` is true. */
  key: K;
  /** Secret config keys (`kuar:<key>`) it reads. @default [] */
  secrets?: readonly string[];
  /** Registers the workload's component and returns its endpoints (stack output `endpoints`), by name. */
  install(ctx: WorkloadContext<K>): Record<string, pulumi.Output<string>>;
}
