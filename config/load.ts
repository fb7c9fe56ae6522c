/**
 * Reading and validating stack config. `parseConfig` is pure (tested directly); `readStackConfig`
 * feeds it from the Pulumi runtime. Both stop before any resource exists, listing every problem.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { planProblems } from "../bootstrap/plan.js";
import { addonsSchema } from "../bootstrap/schema.js";
import type { ClusterCapabilities } from "../providers/contract.js";
import { targetByName, type TargetName } from "../providers/registry.js";
import { ConfigError, configPath, problemFromIssue, schemaKeysAt, type ConfigProblem } from "./errors.js";
import { workloadSecretProblems } from "../workloads/schema.js";
import { baseSchema, secretKeys, type BaseConfig, type SecretKey } from "./schema.js";

export const NAMESPACE = "kuar";

export interface KuarConfig extends Omit<BaseConfig, TargetName> {
  target: TargetName;
  /** The chosen target's settings, parsed by its own schema. */
  settings: unknown;
  /** What the cluster will report, predicted from the settings (the target's `capabilities`). */
  capabilities: ClusterCapabilities;
}

export interface ParseOptions {
  /** Whether a `kuar:<key>` config value is stored encrypted. */
  isSecret?: (key: string) => boolean;
}

/**
 * Parses the flat `namespace:key -> string` map Pulumi hands a program. Values that are JSON
 * (objects, arrays, numbers, booleans) are decoded the way `Config.getObject` would.
 */
export function parseConfig(raw: Record<string, string>, opts: ParseOptions = {}): KuarConfig {
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const [ns, ...rest] = k.split(":");
    if (ns !== NAMESPACE || rest.length === 0) continue;
    input[rest.join(":")] = decode(v);
  }
  return parseObject(input, opts);
}

export function parseObject(input: Record<string, unknown>, opts: ParseOptions = {}): KuarConfig {
  const problems: ConfigProblem[] = [];
  const base = baseSchema.safeParse(input, { reportInput: true });
  if (!base.success) problems.push(...toProblems(base.error.issues, input, baseSchema, []));

  // The chosen target's settings are checked even when the base failed, so one run lists everything.
  const targetName = (base.success ? base.data.target : (input["target"] ?? "local")) as string;
  let settings: unknown;
  let capabilities: ClusterCapabilities | undefined;
  let known = true;
  try {
    const def = targetByName(targetName);
    const s = def.settings.safeParse(input[def.name] ?? {}, { reportInput: true });
    if (s.success) {
      settings = s.data;
      capabilities = def.capabilities(s.data);
    } else problems.push(...toProblems(s.error.issues, input[def.name] ?? {}, def.settings, [def.name]));
  } catch {
    known = false; // already reported by the base schema as an invalid target
  }

  // Checks that need the cluster's capabilities run here too, so they are listed with the rest.
  const addons = addonsSchema.safeParse(input["addons"] ?? {});
  if (capabilities && addons.success) {
    problems.push(...planProblems(capabilities, addons.data, { hasEabSecret: input["acmeEabHmacKey"] !== undefined }));
  }

  for (const key of secretKeys) {
    if (input[key] !== undefined && opts.isSecret && !opts.isSecret(key)) {
      problems.push({
        path: `${NAMESPACE}:${key}`,
        received: "(value hidden)",
        message: "holds a secret but is stored in plain text",
        fix: `Run: pulumi config set --secret ${NAMESPACE}:${key} <value>, then remove the plain line from the stack file.`,
      });
    }
  }

  if (base.success) problems.push(...workloadSecretProblems(base.data.workloads, (k) => input[k] !== undefined));

  if (problems.length > 0 || !base.success || !known || !capabilities) throw new ConfigError(problems);
  const { target, ...rest } = base.data;
  for (const t of Object.keys(rest)) if (isTargetKey(t)) delete (rest as Record<string, unknown>)[t];
  for (const key of secretKeys) delete (rest as Record<string, unknown>)[key];
  return { ...(rest as Omit<BaseConfig, TargetName | "target">), target, settings, capabilities } as KuarConfig;
}

/**
 * Every problem a stack config has, the capability-dependent ones included, without throwing: the
 * wizard calls this before it writes a stack file; the program runs the same checks through
 * `parseObject` before any resource exists.
 */
export function stackConfigProblems(input: Record<string, unknown>, opts: ParseOptions = {}): ConfigProblem[] {
  try {
    parseObject(input, opts);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

function isTargetKey(key: string): boolean {
  try {
    targetByName(key);
    return true;
  } catch {
    return false;
  }
}

function toProblems(
  issues: z.core.$ZodIssue[],
  input: unknown,
  schema: z.ZodType,
  prefix: (string | number)[],
): ConfigProblem[] {
  return issues.flatMap((issue) =>
    problemFromIssue(issue, input, (p) => schemaKeysAt(schema, p)).map((p) =>
      prefix.length ? { ...p, path: rebase(p.path, prefix) } : p,
    ),
  );
}

/** `kuar:nodes` parsed under the `gke` key becomes `kuar:gke.nodes`. */
function rebase(path: string, prefix: (string | number)[]): string {
  const inner = path.slice(NAMESPACE.length + 1);
  const head = configPath(prefix);
  if (!inner) return head;
  return inner.startsWith("[") ? `${head}${inner}` : `${head}.${inner}`;
}

/** Decodes a config value the way `Config.getObject` would: JSON for booleans, numbers, lists, objects. */
export function decode(v: string): unknown {
  const t = v.trim();
  if (t === "true" || t === "false" || t === "null" || /^[[{]/.test(t) || /^-?\d+(\.\d+)?$/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return v;
    }
  }
  return v;
}

export interface StackConfig {
  config: KuarConfig;
  secrets: Partial<Record<SecretKey, pulumi.Output<string>>>;
}

/** Reads `kuar:*` from the running Pulumi program. Throws ConfigError before anything registers. */
export function readStackConfig(): StackConfig {
  const runtime = pulumi.runtime as unknown as { isConfigSecret(k: string): boolean };
  const config = parseConfig(pulumi.runtime.allConfig(), {
    isSecret: (k) => runtime.isConfigSecret(`${NAMESPACE}:${k}`),
  });
  const c = new pulumi.Config(NAMESPACE);
  const secrets: StackConfig["secrets"] = {};
  for (const key of secretKeys) {
    const value = c.getSecret(key);
    if (value !== undefined) secrets[key] = value;
  }
  return { config, secrets };
}
