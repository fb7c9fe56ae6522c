/**
 * `kuar init` (`npm run wizard`): asks what a newcomer needs, or takes every answer from flags,
 * and writes `stacks/Pulumi.<stack>.yaml` plus encrypted secrets. It never creates resources.
 * Exit codes: 0 written, 1 invalid answers or declined (nothing written), 2 usage, 130 cancelled.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SecretKey } from "./answers.js";
import { toolchainReady } from "../cli/engine.js";
import { relevantSecrets } from "./answers.js";
import { decodeValue, parsePath, setIn, TARGETS } from "./answers.js";
import { answersFromCli, parseCli, usage, type CliOptions } from "./args.js";
import type { Keyscan } from "../providers/setup.js";
import { runFlow } from "./flow.js";
import { defaultPreflightDeps, formatChecks, preflight, verdict, type PreflightDeps } from "./preflight.js";
import { inquirerPrompter, type Prompter } from "./prompts.js";
import { renderStackYaml, summaryText } from "./render.js";
import { projectPulumi, stackFile, storeSecrets, writeStack, type PulumiCli } from "./write.js";
import { NAMESPACE } from "../config/load.js";

export const projectStacksDir = resolve(fileURLToPath(new URL("..", import.meta.url)), "stacks");

export interface MainDeps {
  stacksDir: string;
  prompter: Prompter;
  /** Reads host keys instead of the target's own reader (tests script it). @default the target's own */
  keyscan?: Keyscan;
  preflight: PreflightDeps;
  /** The Pulumi CLI that stores secrets; resolved only when there are secrets. */
  pulumi: (stacksDir: string) => Promise<PulumiCli>;
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
  interactiveTerminal: boolean;
}

export async function main(argv: string[], overrides: Partial<MainDeps> = {}): Promise<number> {
  const err = overrides.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (e) {
    err(`kuar init: ${e instanceof Error ? e.message : String(e)}\n${usage}`);
    return 2;
  }
  const out = overrides.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  if (opts.help) {
    out(usage);
    return 0;
  }
  const stacksDir = opts.stacksDir ? resolve(opts.stacksDir) : (overrides.stacksDir ?? projectStacksDir);
  const env = overrides.env ?? process.env;
  const deps: MainDeps = {
    stacksDir,
    prompter: overrides.prompter ?? inquirerPrompter(out),
    ...(overrides.keyscan ? { keyscan: overrides.keyscan } : {}),
    preflight: overrides.preflight ?? { ...defaultPreflightDeps(env), toolchainReady },
    pulumi: overrides.pulumi ?? ((dir) => projectPulumi(dir, err)),
    out,
    err,
    env,
    readFile: overrides.readFile ?? ((p) => readFileSync(p, "utf8")),
    interactiveTerminal:
      overrides.interactiveTerminal ?? (process.stdin.isTTY === true && process.stdout.isTTY === true),
  };
  if (!existsSync(stacksDir)) {
    err(`kuar init: the stacks directory ${stacksDir} does not exist. Create it, or pass --stacks-dir.`);
    return 2;
  }
  return opts.nonInteractive ? nonInteractive(opts, deps) : interactive(opts, deps);
}

async function nonInteractive(opts: CliOptions, deps: MainDeps): Promise<number> {
  const { answers, problems } = answersFromCli(opts, { readFile: deps.readFile, env: deps.env });
  if (!answers) {
    deps.err(`kuar init: nothing was written.\n${problems.join("\n")}`);
    return 1;
  }
  const file = stackFile(deps.stacksDir, answers.stack);
  const exists = existsSync(file);
  if (exists && !opts.overwrite) {
    deps.err(
      `kuar init: ${file} already exists; nothing was written. Pass --overwrite to replace it (its encryption salt and encrypted secrets are kept).`,
    );
    return 1;
  }
  const kept = exists ? renderStackYaml(answers.config, readFileSync(file, "utf8")).kept : undefined;
  deps.out(
    summaryText({
      stack: answers.stack,
      file,
      exists,
      config: answers.config,
      secretsSet: Object.keys(answers.secrets) as SecretKey[],
      secretsUsed: relevantSecrets(answers.config),
      ...(kept ? { kept } : {}),
    }),
  );
  if (opts.preflight) {
    const checks = await preflight(answers.config, deps.preflight);
    deps.out(formatChecks(checks));
    deps.out(verdict(checks));
  }
  return write(deps, answers.stack, answers.config, answers.secrets, exists);
}

async function interactive(opts: CliOptions, deps: MainDeps): Promise<number> {
  if (!deps.interactiveTerminal) {
    deps.err(
      "kuar init: not a terminal, so no questions can be asked. Use --non-interactive with --stack, --target and --set or --answers (see --help).",
    );
    return 2;
  }
  if (opts.answers || opts.secretEnv.length) {
    deps.err(
      "kuar init: --answers and --secret-env are for --non-interactive mode; add --non-interactive, or drop them to be asked (--stack, --target and --set pre-fill the questions).",
    );
    return 2;
  }
  let preConfig: Record<string, unknown> = {};
  for (const item of opts.set) {
    const eq = item.indexOf("=");
    const path = eq > 0 ? parsePath(item.slice(0, eq)) : undefined;
    if (!path) {
      deps.err(`kuar init: --set ${JSON.stringify(item)}: expected <path>=<value> such as gke.project=my-project.`);
      return 2;
    }
    preConfig = setIn(preConfig, path, decodeValue(item.slice(eq + 1)));
  }
  if (opts.target !== undefined && !TARGETS.includes(opts.target as (typeof TARGETS)[number])) {
    deps.err(`kuar init: --target: expected one of ${TARGETS.join(", ")}, got "${opts.target}".`);
    return 2;
  }
  try {
    const result = await runFlow({
      prompter: deps.prompter,
      stacksDir: deps.stacksDir,
      ...(deps.keyscan ? { keyscan: deps.keyscan } : {}),
      preflight: (config) => preflight(config, deps.preflight),
      prefill: {
        ...(opts.stack !== undefined ? { stack: opts.stack } : {}),
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        config: preConfig,
      },
    });
    if (!result) return 1;
    return await write(deps, result.answers.stack, result.answers.config, result.answers.secrets, result.overwrite);
  } catch (e) {
    if (e instanceof Error && e.name === "ExitPromptError") {
      deps.err("kuar init: cancelled; nothing was written.");
      return 130;
    }
    throw e;
  }
}

async function write(
  deps: MainDeps,
  stack: string,
  config: Record<string, unknown>,
  secrets: Partial<Record<SecretKey, string>>,
  overwrite: boolean,
): Promise<number> {
  // The stack file first: whatever happens while storing secrets, no answer is lost.
  let r: ReturnType<typeof writeStack>;
  try {
    r = writeStack({ stacksDir: deps.stacksDir, stack, config, secrets: {}, overwrite });
  } catch (e) {
    deps.err(`kuar init: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  deps.out(`Wrote ${r.file}.`);
  const pending = Object.keys(secrets) as SecretKey[];
  if (pending.length) {
    try {
      const pulumi = await deps.pulumi(deps.stacksDir);
      const stored = storeSecrets({ file: r.file, stack, secrets, pulumi });
      deps.out(`Stored encrypted: ${stored.join(", ")}.`);
    } catch (e) {
      deps.err(`kuar init: ${e instanceof Error ? e.message : String(e)}`);
      deps.err(
        `The stack file is written; set the secrets later, each prompts for its value: ${pending
          .map((k) => `npm run -s pulumi -- config set --secret ${NAMESPACE}:${k} --stack ${stack}`)
          .join("; ")}`,
      );
      return 1;
    }
  }
  deps.out(nextSteps(stack));
  return 0;
}

/** Commands that work in this checkout (kuar knows the project's backend; plain pulumi does not). */
export function nextSteps(stack: string): string {
  return [
    `Next: kuar plan --stack ${stack}      (offline: what it would create)`,
    `      kuar doctor --stack ${stack}    (tools and credentials)`,
    `      kuar preview --stack ${stack}, then kuar up --stack ${stack}`,
    `      (kuar is "npm run -s kuar --" in this checkout, or "npm link" once to put it on PATH)`,
  ].join("\n");
}
