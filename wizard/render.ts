/**
 * Rendering what the wizard writes: the stack file (plain config only; secrets go through
 * Pulumi's encrypted config) and the summary shown before anything is written.
 */
import { Document, isMap, isScalar, parseDocument, type YAMLMap } from "yaml";
import { NAMESPACE } from "../config/load.js";
import { defaultTarget, targets } from "../providers/registry.js";
import type { TargetInfo } from "../providers/target.js";
import { getIn, isSecretKey, relevantSecrets, type SecretKey } from "./answers.js";
import { addonOffers, offeredOn, workloadOffers } from "./sections.js";

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
  /** Keys dropped because the new answers do not use them (another target's settings or cloud, an unneeded secret). */
  dropped?: string[];
}

/**
 * Config namespaces of the cloud providers' own Pulumi packages, by the target that uses them
 * (`gcp:project` belongs with a gke stack; each target's `cloudConfig`). A key of another
 * target's cloud is stale.
 */
const CLOUD_NAMESPACES: Record<string, string> = Object.fromEntries(
  targets.flatMap((t) => (t.cloudConfig ? [[t.cloudConfig.namespace, t.name]] : [])),
);

/** Cloud keys that mirror a kuar setting: an old value (another project's, region's) follows the new answer. */
const MIRRORS: Record<string, readonly (string | number)[]> = Object.fromEntries(
  targets.flatMap((t) => Object.entries(t.cloudConfig?.mirrors ?? {})),
);

/**
 * The stack file for `config` (the `kuar:*` keys without namespace). When replacing `existing`,
 * edits its YAML document in place, so its comments, encryption salt and secrets provider stay;
 * keeps the encrypted secrets the new config still uses and other namespaces' keys, except the
 * cloud settings of a target the stack no longer uses; drops every other old `kuar:` key.
 */
export function renderStackYaml(config: Record<string, unknown>, existing?: string): { text: string; kept: Kept } {
  const kept: Kept = { topLevel: [], config: [], dropped: [] };
  const target = String(config["target"] ?? defaultTarget);
  const needed = new Set(relevantSecrets(config).map((k) => `${NAMESPACE}:${k}`));
  const doc = existing ? parseDocument(existing) : new Document({});
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  const root = doc.contents as YAMLMap;
  if (!isMap(root.get("config"))) root.set("config", doc.createNode({}));
  const body = root.get("config") as YAMLMap;
  for (const item of [...body.items]) {
    const k = keyOf(item.key);
    const ours = k.startsWith(`${NAMESPACE}:`);
    const v = body.get(k, true);
    const secure = isMap(v) && v.has("secure");
    const cloudOf = CLOUD_NAMESPACES[k.split(":")[0]!];
    const keep = ours ? secure && isSecretConfigKey(k) && needed.has(k) : cloudOf === undefined || cloudOf === target;
    if (keep) kept.config.push(k);
    else {
      body.delete(k);
      kept.dropped!.push(k);
    }
  }
  for (const [k, v] of Object.entries(config)) {
    if (isSecretKey(k)) continue; // never in plain text
    body.set(`${NAMESPACE}:${k}`, doc.createNode(v));
  }
  for (const [k, path] of Object.entries(MIRRORS)) {
    const now = getIn(config, path);
    if (body.has(k) && typeof now === "string" && body.get(k) !== now) body.set(k, now);
  }
  kept.dropped = kept.dropped!.filter((k) => !body.has(k));
  // The target first, then the rest of kuar's keys in answer order, then what was kept.
  const order = (k: string) =>
    k === `${NAMESPACE}:target` ? 0 : k.startsWith(`${NAMESPACE}:`) && !kept.config.includes(k) ? 1 : 2;
  body.items.sort((a, b) => order(keyOf(a.key)) - order(keyOf(b.key)));
  for (const item of root.items) {
    const k = keyOf(item.key);
    if (k !== "config") kept.topLevel.push(k);
  }
  // A file that opens with its own comment keeps it; kuar's header goes on files without one.
  if (!existing || !/^\s*#/.test(existing)) doc.commentBefore = HEADER;
  return { text: doc.toString({ lineWidth: 0 }), kept };
}

const keyOf = (key: unknown) => String(isScalar(key) ? key.value : key);

function isSecretConfigKey(key: string): boolean {
  return isSecretKey(key.slice(NAMESPACE.length + 1));
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

/** The summary printed before writing: where, which target, what is on, which secrets. */
export function summaryText(s: SummaryInput): string {
  const target = String(s.config["target"] ?? defaultTarget);
  const settings = (s.config[target] ?? {}) as Record<string, unknown>;
  const on = (section: string) => (o: { key: string; enabledByDefault: boolean }) => {
    const v = getIn(s.config, [section, o.key, "enabled"]);
    return v === undefined ? o.enabledByDefault : v === true;
  };
  const info: TargetInfo | undefined = targets.find((t) => t.name === target);
  const known = info?.knownCapabilities ?? {};
  // An add-on the target can never use (MetalLB on a cloud) is not listed: it would only confuse.
  const shown = addonOffers.filter((o) => offeredOn(o, known));
  const addonOn = on("addons");
  const names = (list: readonly { key: string }[]) => list.map((o) => o.key).join(", ") || "none";
  const lines = [
    `Stack     ${s.stack}`,
    `File      ${s.file}${s.exists ? "  (exists: will be replaced)" : "  (new)"}`,
    `Target    ${target}`,
    ...describeSettings(settings, "", info?.describeSetting).map((l) => `            ${l}`),
    `Add-ons   on: ${names(shown.filter(addonOn))}; off: ${names(shown.filter((a) => !addonOn(a)))}`,
    `          (add-ons still install only where the cluster needs them; see docs/addons.md)`,
    `Workloads ${names(workloadOffers.filter(on("workloads")))}`,
    `Secrets   ${secretLine(s.secretsSet, s.secretsUsed)}`,
  ];
  if (s.kept && (s.kept.topLevel.length || s.kept.config.length)) {
    lines.push(`Kept      from the existing file: ${[...s.kept.topLevel, ...s.kept.config].join(", ")}`);
  }
  if (s.kept?.dropped?.length) lines.push(`Dropped   no longer used: ${s.kept.dropped.join(", ")}`);
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

/**
 * One line per setting, nested objects flattened (`workloadPools[0].spot: true`); `show` is the
 * target's own way to show a setting (a host key as its fingerprint).
 */
export function describeSettings(
  settings: unknown,
  prefix = "",
  show?: (path: string, value: unknown) => string | undefined,
): string[] {
  if (settings === null || typeof settings !== "object")
    return prefix ? [`${prefix}: ${JSON.stringify(settings)}`] : [];
  const entries = Array.isArray(settings)
    ? settings.map((v, i) => [`${prefix}[${i}]`, v] as const)
    : Object.entries(settings).map(([k, v]) => [prefix ? `${prefix}.${k}` : k, v] as const);
  return entries.flatMap(([k, v]) => {
    const shown = show?.(k, v);
    if (shown !== undefined) return [`${k}: ${shown}`];
    return v !== null && typeof v === "object" && !(Array.isArray(v) && v.every((x) => typeof x !== "object"))
      ? describeSettings(v, k, show)
      : [`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`];
  });
}
