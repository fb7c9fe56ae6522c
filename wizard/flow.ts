/**
 * The interactive flow: what a newcomer is asked, in order. Every typed answer is checked by
 * putting it into the draft config and running the program's schema; problems at the question's
 * path are shown under the prompt, which asks again. Nothing is written here (see write.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { defaultTarget, targets, type RegisteredTarget } from "../providers/registry.js";
import type { AnswerKind, Keyscan, Question, WizardContext } from "../providers/setup.js";
import {
  check,
  getIn,
  list,
  problemsAt,
  promptError,
  relevantSecrets,
  setIn,
  stackNameProblem,
  toStackConfig,
  type Answers,
  type Path,
  type SecretKey,
} from "./answers.js";
import { formatChecks, verdict, type Check } from "./preflight.js";
import type { Prompter } from "./prompts.js";
import { renderStackYaml, summaryText } from "./render.js";
import { addonOffers, offeredOn, workloadOffers } from "./sections.js";
import { stackFile } from "./write.js";

export interface FlowDeps {
  prompter: Prompter;
  stacksDir: string;
  /** Reads host keys instead of the target's own reader (tests script it). @default the target's own */
  keyscan?: Keyscan;
  preflight: (config: Record<string, unknown>) => Promise<Check[]>;
  /** Answers given as flags (`kuar init --target gke --set gke.region=...`): asked no more, or offered as defaults. */
  prefill?: Prefill;
}

export interface Prefill {
  stack?: string;
  target?: string;
  /** `--set` values (`kuar:*` keys without namespace), offered as each question's default. */
  config?: Record<string, unknown>;
}

/** A prefilled value as the text a prompt would take. */
export function prefillText(config: Record<string, unknown> | undefined, path: Path): string | undefined {
  const v = config ? getIn(config, path) : undefined;
  if (v === undefined || v === null || typeof v === "object") return Array.isArray(v) ? v.join(", ") : undefined;
  return String(v);
}

export interface FlowResult {
  answers: Answers;
  /** The user confirmed replacing an existing stack file. */
  overwrite: boolean;
}

/** A typed question; its answer goes at `path` (`kuar:*` keys without namespace). */
export type Field = Question;

export function parseAnswer(kind: AnswerKind, raw: string): unknown {
  const s = raw.trim();
  switch (kind) {
    case "int":
      return /^-?\d+$/.test(s) ? Number(s) : s;
    case "list":
      return list(s);
    case "optional":
      return s === "" ? undefined : s;
    default:
      return s;
  }
}

/** The validate function of a field's prompt: the schema's messages for this path, or true. */
export function fieldValidator(draft: () => Record<string, unknown>, f: Field): (raw: string) => true | string {
  return (raw) => {
    const value = parseAnswer(f.kind ?? "string", raw);
    const problems = problemsAt(check(setIn(draft(), f.path, value)), [f.path, ...(f.also ?? [])]);
    if (problems.length) return problems.map(promptError).join("\n");
    return f.extra?.(value) ?? true;
  };
}

const DEV = /(^|[-_.])(dev|test|tmp|ci|sandbox|play)([-_.]|$)/i;

export async function runFlow(deps: FlowDeps): Promise<FlowResult | undefined> {
  const p = deps.prompter;
  let config: Record<string, unknown> = {};
  const draft = () => config;
  const pre = deps.prefill ?? {};
  const ask = async (f: Field): Promise<unknown> => {
    const given = prefillText(pre.config, f.path) ?? f.default;
    const raw = await p.text({
      id: f.id,
      message: f.message,
      ...(given !== undefined ? { default: given } : {}),
      validate: fieldValidator(draft, f),
    });
    const value = parseAnswer(f.kind ?? "string", raw);
    config = setIn(config, f.path, value);
    return value;
  };
  const put = (path: Path, value: unknown) => (config = setIn(config, path, value));

  p.say("kuar init: a few questions, then a summary. Nothing is created; this writes a stack file.");

  // Stack name: Pulumi's rules, and an existing file only on confirmation.
  let stack: string;
  let overwrite = false;
  let preStack = pre.stack !== undefined && !stackNameProblem(pre.stack) ? pre.stack : undefined;
  for (;;) {
    if (preStack !== undefined) p.say(`Stack name: ${preStack} (from --stack)`);
    stack =
      preStack ??
      (
        await p.text({
          id: "stack",
          message: "Stack name",
          default: "dev",
          validate: (v) => stackNameProblem(v.trim()) ?? true,
        })
      ).trim();
    preStack = undefined;
    if (!existsSync(stackFile(deps.stacksDir, stack))) break;
    overwrite = await p.confirm({
      id: "overwrite",
      message: `${stackFile(deps.stacksDir, stack)} exists. Replace it? (its encryption salt and encrypted secrets are kept)`,
      default: false,
    });
    if (overwrite) break;
  }
  const dev = DEV.test(stack);

  const preTarget = targets.find((t) => t.name === pre.target);
  if (preTarget) p.say(`Target: ${preTarget.name} (from --target)`);
  const chosen =
    preTarget?.name ??
    (await p.select({
      id: "target",
      message: "Where should the cluster run?",
      choices: targets.map((t) => ({ name: t.name, value: t.name, description: t.description })),
      default: defaultTarget,
    }));
  const target: RegisteredTarget = targets.find((t) => t.name === chosen)!;
  put(["target"], target.name);
  const w: WizardContext = {
    ask,
    put,
    get: (path) => getIn(config, path),
    problemsIf: (path, value) => check(setIn(config, path, value)).map((x) => ({ path: x.path, text: promptError(x) })),
    confirm: (q) => p.confirm(q),
    select: (q) => p.select(q),
    multi: (q) => p.multi(q),
    say: (line) => p.say(line),
    dev,
    ...(deps.keyscan ? { keyscan: deps.keyscan } : {}),
  };
  await (await target.setup()).ask?.(w);

  await askAddons(target, { p, ask, put });
  await askWorkloads({ p, put });
  const secrets = await askSecrets(p, config);

  const final = check(config);
  if (final.length) {
    // Every question validates its own path; this catches what no single answer could.
    p.say(`The answers do not make a valid stack config:\n${final.map((x) => `  ${promptError(x)}`).join("\n")}`);
    p.say("Nothing was written. Run kuar init again, or write the file by hand (docs/configuration.md).");
    return undefined;
  }

  const file = stackFile(deps.stacksDir, stack);
  const stackConfig = toStackConfig({ config });
  const kept = overwrite ? renderStackYaml(stackConfig, readFileSync(file, "utf8")).kept : undefined;
  p.say("");
  p.say(
    summaryText({
      stack,
      file,
      exists: overwrite,
      config: stackConfig,
      secretsSet: Object.keys(secrets) as SecretKey[],
      secretsUsed: relevantSecrets(stackConfig),
      ...(kept ? { kept } : {}),
    }),
  );
  p.say("");

  if (
    await p.confirm({
      id: "preflight",
      message: "Run preflight checks (read-only: tools, credentials, SSH)?",
      default: true,
    })
  ) {
    const checks = await deps.preflight(stackConfig);
    p.say(checks.length ? formatChecks(checks) : "no checks apply to this target");
    p.say(verdict(checks));
  }

  if (!(await p.confirm({ id: "write", message: `Write ${file}?`, default: true }))) {
    p.say("Nothing was written.");
    return undefined;
  }
  return { answers: { stack, config: stackConfig, secrets }, overwrite };
}

interface Ctx {
  p: Prompter;
  ask: (f: Field) => Promise<unknown>;
  put: (path: Path, value: unknown) => void;
}

async function askAddons(target: RegisteredTarget, c: Ctx): Promise<void> {
  const { p, ask, put } = c;
  await ask({
    id: "addons.domain",
    path: ["addons", "domain"],
    message: "Base DNS domain for app hostnames",
    default: "kuar.local",
  });
  const shown = addonOffers.filter((o) => offeredOn(o, target.knownCapabilities));
  const chosen = await p.multi({
    id: "addons",
    message: "Add-ons (each installs only where the cluster needs it)",
    choices: shown.map((o) => ({ name: o.title, value: o.key, checked: o.enabledByDefault })),
  });
  for (const o of shown) {
    const on = chosen.includes(o.key);
    if (on !== o.enabledByDefault) put(["addons", o.key, "enabled"], on);
  }
  for (const o of shown.filter((x) => chosen.includes(x.key))) {
    for (const q of o.ask) {
      await ask({
        id: `addons.${o.key}.${q.field}`,
        path: ["addons", o.key, q.field],
        message: q.message,
        ...(q.default !== undefined ? { default: q.default } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
      });
    }
  }
}

async function askWorkloads(c: Pick<Ctx, "p" | "put">): Promise<void> {
  const chosen = await c.p.multi({
    id: "workloads",
    message: "Workloads to deploy",
    choices: workloadOffers.map((o) => ({ name: o.title, value: o.key, checked: o.enabledByDefault })),
  });
  for (const o of workloadOffers) c.put(["workloads", o.key, "enabled"], chosen.includes(o.key));
}

async function askSecrets(p: Prompter, config: Record<string, unknown>): Promise<Partial<Record<SecretKey, string>>> {
  const used = relevantSecrets(config);
  if (!used.length) return {};
  p.say(
    `Secrets this stack uses: ${used.join(", ")}. By default each is generated at deploy time and kept encrypted in the stack's state.`,
  );
  if (
    !(await p.confirm({
      id: "secrets",
      message: "Set any of them yourself now? (stored encrypted by Pulumi)",
      default: false,
    }))
  )
    return {};
  const which = await p.multi({
    id: "secrets.which",
    message: "Which secrets do you want to set?",
    choices: used.map((k) => ({ name: k, value: k })),
  });
  const out: Partial<Record<SecretKey, string>> = {};
  for (const key of which) {
    out[key] = await p.secret({
      id: `secret.${key}`,
      message: `${key} (hidden)`,
      validate: (v) =>
        v.length > 0
          ? true
          : `kuar:${key}: expected a value, got nothing. Type it, or leave ${key} out to generate it.`,
    });
  }
  return out;
}
