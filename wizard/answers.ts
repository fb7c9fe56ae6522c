/**
 * The wizard's answers and the stack config they become, checked by the program's own schema
 * (config/load.ts parseObject). Pure functions: the prompts and the non-interactive flags both
 * feed them, and tests call them directly.
 */
import { ConfigError, configPath, show, type ConfigProblem } from "../config/errors.js";
import { decode, NAMESPACE, parseObject } from "../config/load.js";
import { secretKeysOf } from "../config/schema.js";
import { kuarSchema } from "../schema.js";
import { defaultTarget, targetByName, targetNames, type TargetName } from "../providers/registry.js";
import { addonOffers, workloadOffers, type Offer } from "./sections.js";

/** A secret config key (`kuar:<key>`, set with `--secret`): one of `stackSecretKeys`. */
export type SecretKey = string;

/** Every secret key a stack can hold: the add-ons' and workloads', and each target's own. */
export const stackSecretKeys: readonly SecretKey[] = secretKeysOf(kuarSchema);

export type Path = readonly (string | number)[];

/** Everything the wizard collects. `config` holds the `kuar:*` keys without the namespace. */
export interface Answers {
  stack: string;
  config: Record<string, unknown>;
  /** Secrets to store encrypted now; the others are generated at deploy time. Never written in plain text. */
  secrets: Partial<Record<SecretKey, string>>;
}

export const TARGETS: readonly TargetName[] = targetNames;

/** Pulumi's rule for stack names: letters, digits, '-', '_' and '.', at most 100 characters. */
export function stackNameProblem(name: string): string | undefined {
  if (name === "") return "expected a stack name, got nothing. Type a name such as dev or gke-dev.";
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    return `expected only letters, digits, '-', '_' and '.', got ${show(name)}. Pulumi stack names cannot contain other characters; try ${show(name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "") || "dev")}.`;
  }
  if (name.length > 100) return `must be at most 100 characters, got ${name.length}. Use a shorter name.`;
  return undefined;
}

/** The stack file's `kuar:*` content for these answers (secrets excluded, always). */
export function toStackConfig(answers: Pick<Answers, "config">): Record<string, unknown> {
  // The target is always written, first: a reader sees at once where the stack runs.
  const out: Record<string, unknown> = { target: answers.config["target"] ?? defaultTarget };
  for (const [k, v] of Object.entries(answers.config)) {
    if (isSecretKey(k) || v === undefined) continue;
    out[k] = v;
  }
  return out;
}

/** Runs the program's schema over a (possibly partial) config; returns every problem, or none. */
export function check(config: Record<string, unknown>): ConfigProblem[] {
  try {
    parseObject(config);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

/** `kuar:gke.workloadPools[0].minNodes` for `["gke", "workloadPools", 0, "minNodes"]`. */
export function pathText(path: Path): string {
  return configPath(path, NAMESPACE);
}

/** Problems at one of `paths` or below it (a question about `hosts[0]` owns `hosts[0].port`). */
export function problemsAt(problems: ConfigProblem[], paths: readonly Path[]): ConfigProblem[] {
  const wanted = paths.map(pathText);
  return problems.filter((p) =>
    wanted.some((w) => p.path === w || p.path.startsWith(`${w}.`) || p.path.startsWith(`${w}[`)),
  );
}

/** The text a prompt shows under a rejected answer: the schema's message, the value, the fix. */
export function promptError(p: ConfigProblem): string {
  return `${p.path}: ${p.message}, got ${show(p.received)}. ${promptFix(p.fix)}`;
}

/**
 * A fix as advice for the prompt: sentences that say to run `pulumi config set` are for a stack
 * file that exists; mid-wizard the fix is a better answer.
 */
export function promptFix(fix: string): string {
  const sentences = fix.split(/(?<=\.)\s+/).filter((x) => x.trim());
  const kept = sentences
    .map((x) => {
      const cut = x.replace(
        /[,;:]?\s*(and\s+)?(then\s+)?(run|use|set it with)?:?\s*`?pulumi config set[^`]*`?\.?$/i,
        ".",
      );
      // A sentence that lost its command keeps only what still reads as advice (three words or more).
      return cut === x || cut.trim().split(/\s+/).length >= 3 ? cut : "";
    })
    .filter((x) => x.trim() && !/pulumi config set/.test(x));
  return kept.length ? kept.join(" ").replace(/\s+\./g, ".") : "Type another answer.";
}

/** Sets `value` at `path`, creating objects and arrays on the way; returns a new root. */
export function setIn(root: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredClone(root);
  let cur: Record<string | number, unknown> = copy;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      if (value === undefined) delete cur[key];
      else cur[key] = value;
      break;
    }
    const next = cur[key];
    if (next === null || typeof next !== "object") cur[key] = typeof path[i + 1] === "number" ? [] : {};
    cur = cur[key] as Record<string | number, unknown>;
  }
  return copy;
}

export function getIn(root: unknown, path: Path): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/**
 * `gke.nodePools[1].minNodes` (or `kuar:gke...`) -> `["gke", "nodePools", 1, "minNodes"]`;
 * undefined when malformed.
 */
export function parsePath(text: string): Path | undefined {
  const body = text.startsWith(`${NAMESPACE}:`) ? text.slice(NAMESPACE.length + 1) : text;
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/gy;
  let expectDot = false;
  let pos = 0;
  while (pos < body.length) {
    if (expectDot && body[pos] === ".") pos++;
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m) return undefined;
    out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
    pos = re.lastIndex;
    expectDot = true;
  }
  return out.length && typeof out[0] === "string" ? out : undefined;
}

/** Decodes a typed value the way Pulumi config is decoded (one implementation, in config/load.ts). */
export const decodeValue = decode;

/** `"a, b,,c"` -> `["a", "b", "c"]` */
export function list(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Secrets that matter for a config: the ones its target, add-ons and workloads would read. */
export function relevantSecrets(config: Record<string, unknown>): SecretKey[] {
  const name = String(config["target"] ?? defaultTarget);
  const target = targetNames.includes(name as TargetName) ? targetByName(name).secretKeys : [];
  const on = (section: string, key: string) => getIn(config, [section, key, "enabled"]) === true;
  const whenSet = (section: string, o: Offer) =>
    Object.entries(o.secretsWhenSet)
      .filter(([, path]) => getIn(config, [section, o.key, ...path]) !== undefined)
      .map(([key]) => key);
  const keys = [
    ...target,
    ...workloadOffers.filter((o) => on("workloads", o.key)).flatMap((o) => o.secrets),
    ...addonOffers.filter((o) => on("addons", o.key)).flatMap((o) => o.secrets),
    ...workloadOffers.flatMap((o) => whenSet("workloads", o)),
    ...addonOffers.flatMap((o) => whenSet("addons", o)),
  ];
  return [...new Set(keys)].filter(isSecretKey);
}

export function isSecretKey(key: string): key is SecretKey {
  return stackSecretKeys.includes(key);
}
