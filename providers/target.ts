/**
 * What a target folder exports. Adding a target means a new folder under providers/ with an
 * `info.ts` (TargetInfo: name, description, settings schema, capabilities, secret keys), an
 * `index.ts` (TargetDefinition: the same plus `create`), optionally a `setup.ts` (its `kuar init`
 * questions and preflight checks, see setup.ts), and one line in providers/registry.ts, which
 * owns the lazy loaders.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { ClusterCapabilities, KubernetesCluster } from "./contract.js";
import type { ConfigPath } from "./setup.js";

export interface TargetContext {
  /** The Pulumi stack name, used to derive unique cloud resource names. */
  stack: string;
  /** Ephemeral stacks (CI) turn deletion protection off. */
  ephemeral: boolean;
  /** The stack's secrets among the target's own `secretKeys` (and no others); absent means generate. */
  secrets: Readonly<Partial<Record<string, pulumi.Output<string>>>>;
}

/**
 * What a target states without loading its cloud SDKs: enough to validate config, describe it and
 * drive the wizard. The registry adds the loaders for the rest, so a program never loads the
 * SDKs of clouds it does not use.
 */
export interface TargetInfo<S extends z.ZodType = z.ZodType, N extends string = string> {
  /** The value of `kuar:target`, and the config key holding the target's settings (`kuar:<name>`). */
  name: N;
  /** One line for docs and the wizard. */
  description: string;
  /** Schema of `kuar:<name>`. Must accept `{}` when every setting has a default. */
  settings: S;
  /**
   * The capabilities the cluster will report, from its settings alone, so checks that depend on
   * them run with the config checks, before any resource (and in the wizard, before a file is
   * written). Must equal what `create` returns as `capabilities`.
   */
  capabilities(settings: z.output<S>): ClusterCapabilities;
  /**
   * What every cluster of this target reports, whatever its settings (the wizard offers add-ons
   * by it before any setting is known). Must agree with `capabilities`.
   */
  knownCapabilities: Partial<ClusterCapabilities>;
  /** Secret config keys (`kuar:<key>`, set with `--secret`) the target reads; `create` gets only these. */
  secretKeys: readonly string[];
  /**
   * The config namespace of the cloud provider's own Pulumi package (`gcp`), and its keys that
   * mirror a kuar setting (`gcp:project` follows `gke.project`). The wizard keeps such keys only on
   * a stack of this target, and updates the mirrors. @default none
   */
  cloudConfig?: { namespace: string; mirrors: Readonly<Record<string, ConfigPath>> };
  /**
   * How the wizard's summary shows one of the settings (`hosts[0].hostKey` as its fingerprint),
   * given its path below `kuar:<name>`. @default undefined for every setting: its value as written
   */
  describeSetting?(path: string, value: unknown): string | undefined;
}

export interface TargetDefinition<S extends z.ZodType = z.ZodType, N extends string = string> extends TargetInfo<S, N> {
  /** Builds the cluster. Called once, after all config validated. */
  create(
    name: string,
    settings: z.output<S>,
    ctx: TargetContext,
    opts?: pulumi.ComponentResourceOptions,
  ): KubernetesCluster;
}

/** Identity function that keeps the settings type flowing into `create`. */
export function defineTarget<S extends z.ZodType, N extends string>(
  def: TargetDefinition<S, N>,
): TargetDefinition<S, N> {
  return def;
}
