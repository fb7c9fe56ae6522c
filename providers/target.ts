/**
 * What a target folder exports. Adding a target means a new folder under providers/ with an
 * `info.ts` (TargetInfo: name, description, settings schema, loader) and an `index.ts`
 * (TargetDefinition: the same plus `create`), and one line in providers/registry.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { ClusterCapabilities, KubernetesCluster } from "./contract.js";

export interface TargetContext {
  /** The Pulumi stack name, used to derive unique cloud resource names. */
  stack: string;
  /** Ephemeral stacks (CI) turn deletion protection off. */
  ephemeral: boolean;
  /** Secret config values a target may use (e.g. a supplied k3s token); absent means generate. */
  secrets: { k3sToken?: pulumi.Output<string> };
}

/**
 * What the registry holds of a target: enough to validate config and describe it, plus a loader
 * for the rest, so a program never loads the SDKs of clouds it does not use.
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
  /** Loads the full definition (the target's index.ts). */
  load(): Promise<TargetDefinition<S, N>>;
}

export interface TargetDefinition<S extends z.ZodType = z.ZodType, N extends string = string> extends Omit<
  TargetInfo<S, N>,
  "load"
> {
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
