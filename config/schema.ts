/**
 * The top level of kuar's stack config, as a factory: each top-level key is a `kuar:<key>` entry.
 * The sections (targets, add-ons, workloads) are owned by their layers; the repository root's
 * schema.ts passes them in, so config/ depends on none of them.
 */
import { z } from "zod";
import { withFix } from "./toolkit.js";

/** A target as the config layer sees it: its name (`kuar:<name>`), settings schema and secret keys. */
export interface TargetSection<N extends string = string> {
  name: N;
  settings: z.ZodType;
  /** Secret config keys the target reads (`kuar:<key>`). @default [] */
  secretKeys?: readonly string[];
}

/** Where secret config keys are declared: by the add-ons and workloads, and by each target. */
export interface SecretSources {
  targets: readonly TargetSection[];
  /** Secret config keys the add-ons and workloads read (their definitions declare them). @default [] */
  secretKeys?: readonly string[];
}

/**
 * Every config key that must hold a Pulumi secret (`pulumi config set --secret`): the add-ons'
 * and workloads' (declared by their own definitions and passed in by the root schema.ts), then
 * each target's own (TargetSection.secretKeys).
 */
export function secretKeysOf(s: SecretSources): readonly string[] {
  return [...new Set([...(s.secretKeys ?? []), ...s.targets.flatMap((t) => t.secretKeys ?? [])])];
}

/** The sections the root composes into the full schema. */
export interface Sections<N extends string, A extends z.ZodType, W extends z.ZodType> {
  targets: readonly TargetSection<N>[];
  /** Secret config keys the add-ons and workloads read. */
  secretKeys: readonly string[];
  defaultTarget: N;
  addons: A;
  workloads: W;
}

/** The top-level schema for the given sections (target settings are parsed by their own schema). */
export function composeBaseSchema<N extends string, A extends z.ZodType, W extends z.ZodType>(s: Sections<N, A, W>) {
  const names = s.targets.map((t) => t.name) as [N, ...N[]];
  const targetKeys = Object.fromEntries(names.map((n) => [n, z.unknown().optional()])) as Record<
    N,
    z.ZodOptional<z.ZodUnknown>
  >;
  return z.strictObject({
    /** Where the cluster runs. @default "local" */
    target: z.enum(names).default(s.defaultTarget),
    /** Throwaway stack (CI): deletion protection off. @default false */
    ephemeral: z.boolean().default(false),
    /** When an ephemeral stack may be reaped (ISO 8601, set by `kuar ephemeral up`). */
    expiresAt: withFix(
      z.iso.datetime({ offset: true }),
      "Write a UTC time such as 2026-12-01T18:00:00Z (`kuar ephemeral up` sets it): pulumi config set --path 'kuar:expiresAt' 2026-12-01T18:00:00Z.",
    ).optional(),
    /** Add-ons; see bootstrap/. */
    addons: s.addons.default(s.addons.parse({}) as never),
    /** Workloads; see workloads/. */
    workloads: s.workloads.default(s.workloads.parse({}) as never),
    ...targetKeys,
    // Secret keys are read with getSecret; listing them here keeps them out of "unknown key" errors.
    // The parser removes every secret key from its output.
    ...(Object.fromEntries(secretKeysOf(s).map((k) => [k, z.unknown().optional()])) as object),
  });
}

export type BaseSchema<N extends string, A extends z.ZodType, W extends z.ZodType> = ReturnType<
  typeof composeBaseSchema<N, A, W>
>;
