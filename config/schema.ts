/**
 * The one schema for kuar's stack config. Each top-level key is a `kuar:<key>` config entry.
 * Target settings live under `kuar:<target>` and are validated by that target's own schema.
 */
import { z } from "zod";
import { addonsSchema } from "../bootstrap/schema.js";
import { defaultTarget, targetNames, targets } from "../providers/registry.js";
import { workloadsSchema } from "../workloads/schema.js";

/** Config keys that must hold Pulumi secrets (`pulumi config set --secret`). */
export const secretKeys = [
  "k3sToken",
  "parseMasterKey",
  "ghostDatabasePassword",
  "ghostSmtpPassword",
  "redisPassword",
  "acmeEabHmacKey",
] as const;
export type SecretKey = (typeof secretKeys)[number];

const targetSettingKeys = Object.fromEntries(targets.map((t) => [t.name, z.unknown().optional()])) as Record<
  (typeof targetNames)[number],
  z.ZodOptional<z.ZodUnknown>
>;

export const baseSchema = z.strictObject({
  /** Where the cluster runs. @default "local" */
  target: z.enum(targetNames).default(defaultTarget),
  /** Throwaway stack (CI): deletion protection off. @default false */
  ephemeral: z.boolean().default(false),
  /** When an ephemeral stack may be reaped (ISO 8601, set by `kuar ephemeral up`). */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  /** Add-ons; see bootstrap/. */
  addons: addonsSchema.default(addonsSchema.parse({})),
  /** Workloads; see workloads/. */
  workloads: workloadsSchema.default(workloadsSchema.parse({})),
  ...targetSettingKeys,
  // Secret keys are read with getSecret; listing them here keeps them out of "unknown key" errors.
  ...Object.fromEntries(secretKeys.map((k) => [k, z.unknown().optional()])),
});

export type BaseConfig = z.output<typeof baseSchema>;
