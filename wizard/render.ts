/**
 * Rendering what the wizard writes: the stack file (plain config only; secrets go through
 * Pulumi's encrypted config) and the summary shown before anything is written.
 */
import { Document, parse } from "yaml";
import { NAMESPACE } from "../config/load.js";
import { secretKeys, type SecretKey } from "../config/schema.js";
import { getIn } from "./answers.js";
import { fingerprintOf } from "./hostkey.js";

export const HEADER =
  " Written by `kuar init` (docs/wizard.md); edit freely. Keys: docs/configuration.md.\n" +
  " Secrets are never written here in plain text: they are `secure:` values Pulumi encrypted,\n" +
  " or generated at deploy time and kept encrypted in the stack's state.";

/** What an existing stack file keeps when it is replaced. */
export interface Kept {
  /** Top-level keys besides `config` (e.g. `encryptionsalt`, which existing encrypted values need). */
  topLevel: string[];
  /** Config keys outside `kuar:` (other providers' settings) and encrypted `kuar:` secrets. */
  config: string[];
}

/**
 * The stack file for `config` (the `kuar:*` keys without namespace). When replacing `existing`,
 * keeps its encryption salt and secrets provider, its encrypted secrets and other namespaces'
 * keys, so replacing a file never orphans values encrypted with its salt.
 */
export function renderStackYaml(config: Record<string, unknown>, existing?: string): { text: string; kept: Kept } {
  const kept: Kept = { topLevel: [], config: [] };
  const old = existing ? (parse(existing) as Record<string, unknown> | null) : null;
  const oldConfig = (old?.["config"] ?? {}) as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(oldConfig)) {
    const ours = k.startsWith(`${NAMESPACE}:`);
    const secure = v !== null && typeof v === "object" && "secure" in v;
    if (!ours || (secure && isSecretConfigKey(k))) {
      if (!ours) body[k] = v;
      kept.config.push(k);
    }
  }
  for (const [k, v] of Object.entries(config)) {
    if ((secretKeys as readonly string[]).includes(k)) continue; // never in plain text
    body[`${NAMESPACE}:${k}`] = v;
  }
  for (const k of kept.config) if (k.startsWith(`${NAMESPACE}:`)) body[k] = oldConfig[k];
  const root: Record<string, unknown> = { config: body };
  for (const [k, v] of Object.entries(old ?? {})) {
    if (k === "config") continue;
    root[k] = v;
    kept.topLevel.push(k);
  }
  const doc = new Document(root);
  doc.commentBefore = HEADER;
  return { text: doc.toString({ lineWidth: 0 }), kept };
}

function isSecretConfigKey(key: string): boolean {
  return (secretKeys as readonly string[]).includes(key.slice(NAMESPACE.length + 1));
}

export interface SummaryInput {
  stack: string;
  file: string;
  exists: boolean;
  config: Record<string, unknown>;
  /** Secrets the user set now (names only). */
  secretsSet: readonly SecretKey[];
  /** Secrets the config uses; those not set now are generated at deploy time. */
  secretsUsed: readonly SecretKey[];
  kept?: Kept;
}

const ADDONS = ["dns", "dashboard", "gateway", "certManager", "metrics", "storage", "metallb", "externalDns"] as const;
const WORKLOADS = ["kuard", "parse", "ghost", "redis"] as const;

/** The summary printed before writing: where, which target, what is on, which secrets. */
export function summaryText(s: SummaryInput): string {
  const target = String(s.config["target"] ?? "local");
  const settings = (s.config[target] ?? {}) as Record<string, unknown>;
  const addonOn = (a: string) =>
    getIn(s.config, ["addons", a, "enabled"]) !== false &&
    (a !== "externalDns" || getIn(s.config, ["addons", a, "enabled"]) === true);
  const workloadOn = (w: string) => {
    const v = getIn(s.config, ["workloads", w, "enabled"]);
    return v === undefined ? w === "kuard" : v === true;
  };
  // MetalLB only ever installs on bare metal; listing it for a cloud would only confuse.
  const shown = ADDONS.filter((a) => a !== "metallb" || target === "raspberrypi");
  const lines = [
    `Stack     ${s.stack}`,
    `File      ${s.file}${s.exists ? "  (exists: will be replaced)" : "  (new)"}`,
    `Target    ${target}`,
    ...describeSettings(settings).map((l) => `            ${l}`),
    `Add-ons   on: ${shown.filter(addonOn).join(", ") || "none"}; off: ${shown.filter((a) => !addonOn(a)).join(", ") || "none"}`,
    `          (add-ons still install only where the cluster needs them; see docs/addons.md)`,
    `Workloads ${WORKLOADS.filter(workloadOn).join(", ") || "none"}`,
    `Secrets   ${secretLine(s.secretsSet, s.secretsUsed)}`,
  ];
  if (s.kept && (s.kept.topLevel.length || s.kept.config.length)) {
    lines.push(`Kept      from the existing file: ${[...s.kept.topLevel, ...s.kept.config].join(", ")}`);
  }
  lines.push("Nothing is created: this writes the stack file (and encrypted secrets) only.");
  return lines.join("\n");
}

function secretLine(set: readonly SecretKey[], used: readonly SecretKey[]): string {
  const parts = [
    ...set.map((k) => `${k} (set now, stored encrypted)`),
    ...used.filter((k) => !set.includes(k)).map((k) => `${k} (generated at deploy time)`),
  ];
  return parts.join(", ") || "none needed";
}

/** One line per setting, nested objects flattened (`workloadPools[0].spot: true`). */
export function describeSettings(settings: unknown, prefix = ""): string[] {
  if (settings === null || typeof settings !== "object")
    return prefix ? [`${prefix}: ${JSON.stringify(settings)}`] : [];
  const entries = Array.isArray(settings)
    ? settings.map((v, i) => [`${prefix}[${i}]`, v] as const)
    : Object.entries(settings).map(([k, v]) => [prefix ? `${prefix}.${k}` : k, v] as const);
  return entries.flatMap(([k, v]) => {
    if (k.endsWith("hostKey") && typeof v === "string") return [`${k}: ${fingerprintOf(v)}`];
    return v !== null && typeof v === "object" && !(Array.isArray(v) && v.every((x) => typeof x !== "object"))
      ? describeSettings(v, k)
      : [`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`];
  });
}
