/**
 * Non-interactive answers: flags (`--stack`, `--target`, `--set path=value`, `--secret-env`) and
 * an answers file (YAML or JSON), checked by the same schema as the prompts. Pure apart from
 * reading the answers file and the environment, both injected.
 */
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { formatProblems } from "../config/errors.js";
import { NAMESPACE } from "../config/load.js";
import { targetNames } from "../providers/registry.js";
import type { SecretKey } from "./answers.js";
import {
  check,
  decodeValue,
  isSecretKey,
  parsePath,
  setIn,
  stackNameProblem,
  stackSecretKeys,
  toStackConfig,
  type Answers,
} from "./answers.js";

export const usage = `usage: kuar init [options]          (also: npm run wizard -- [options])

Interactive (default): asks for a stack name, target, add-ons, workloads and optional secrets,
shows a summary and preflight checks, then writes stacks/Pulumi.<stack>.yaml. Creates nothing.

Non-interactive (CI, scripts): every answer from flags or a file, same validation.
  --non-interactive           never prompt; fail with the schema's messages on bad input
  --stack <name>              stack name (file stacks/Pulumi.<name>.yaml)
  --target <t>                ${targetNames.slice(0, -1).join(", ")} or ${targetNames.at(-1)}
  --set <path>=<value>        any config value, dotted path without "kuar:" (repeatable), e.g.
                              --set gke.project=my-proj --set workloads.redis.enabled=true
                              --set 'raspberrypi.hosts[0].address=192.168.1.21'
                              values are JSON when they parse as such (true, 3, ["a","b"])
  --answers <file>            YAML or JSON answers file (flags override it); see docs/wizard.md
  --secret-env <key>=<VAR>    store secret kuar:<key> from environment variable VAR (repeatable);
                              secrets are never accepted as flag values or in the answers file
  --overwrite                 replace an existing stack file (its salt and secrets are kept)
  --preflight                 also run the preflight checks (read-only) and print them
  --stacks-dir <dir>          where stack files go (default: the project's stacks/)
  -h, --help                  this text`;

export interface CliOptions {
  help: boolean;
  nonInteractive: boolean;
  stack?: string;
  target?: string;
  set: string[];
  answers?: string;
  secretEnv: string[];
  overwrite: boolean;
  preflight: boolean;
  stacksDir?: string;
}

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", short: "h" },
      "non-interactive": { type: "boolean" },
      stack: { type: "string" },
      target: { type: "string" },
      set: { type: "string", multiple: true },
      answers: { type: "string" },
      "secret-env": { type: "string", multiple: true },
      overwrite: { type: "boolean" },
      preflight: { type: "boolean" },
      "stacks-dir": { type: "string" },
    },
  });
  return {
    help: values.help ?? false,
    nonInteractive: values["non-interactive"] ?? false,
    ...(values.stack !== undefined ? { stack: values.stack } : {}),
    ...(values.target !== undefined ? { target: values.target } : {}),
    set: values.set ?? [],
    ...(values.answers !== undefined ? { answers: values.answers } : {}),
    secretEnv: values["secret-env"] ?? [],
    overwrite: values.overwrite ?? false,
    preflight: values.preflight ?? false,
    ...(values["stacks-dir"] !== undefined ? { stacksDir: values["stacks-dir"] } : {}),
  };
}

export interface Sources {
  readFile: (path: string) => string;
  env: NodeJS.ProcessEnv;
}

/** Answers from flags and the answers file, or every problem found (each a full sentence). */
export function answersFromCli(opts: CliOptions, src: Sources): { answers?: Answers; problems: string[] } {
  const problems: string[] = [];
  let config: Record<string, unknown> = {};
  let stack: string | undefined;
  const secretEnv: [string, string][] = [];

  if (opts.answers !== undefined) {
    let doc: unknown;
    try {
      doc = parse(src.readFile(opts.answers));
    } catch (e) {
      problems.push(
        `--answers ${opts.answers}: cannot read it (${e instanceof Error ? e.message.split("\n")[0] : String(e)}). Point --answers at a YAML or JSON file.`,
      );
    }
    if (doc !== undefined && doc !== null && (typeof doc !== "object" || Array.isArray(doc))) {
      problems.push(
        `--answers ${opts.answers}: expected a mapping of answers (stack, target, <target>, addons, workloads, secretsFromEnv), got ${Array.isArray(doc) ? "a list" : typeof doc}.`,
      );
    } else if (doc) {
      for (const [rawKey, v] of Object.entries(doc as Record<string, unknown>)) {
        const key = rawKey.startsWith(`${NAMESPACE}:`) ? rawKey.slice(NAMESPACE.length + 1) : rawKey;
        if (key === "stack") stack = typeof v === "string" ? v : String(v);
        else if (key === "secretsFromEnv") {
          if (v && typeof v === "object" && !Array.isArray(v))
            for (const [k, name] of Object.entries(v)) secretEnv.push([k, String(name)]);
          else
            problems.push(
              `--answers ${opts.answers}: secretsFromEnv: expected a mapping such as {redisPassword: KUAR_REDIS_PASSWORD}, got ${JSON.stringify(v)}.`,
            );
        } else if (isSecretKey(key)) {
          problems.push(plainSecret(key, `in ${opts.answers}`));
        } else config[key] = v;
      }
    }
  }

  if (opts.stack !== undefined) stack = opts.stack;
  if (opts.target !== undefined) config["target"] = opts.target;
  for (const item of opts.set) {
    const eq = item.indexOf("=");
    const path = eq > 0 ? parsePath(item.slice(0, eq)) : undefined;
    if (!path) {
      problems.push(
        `--set ${JSON.stringify(item)}: expected <path>=<value> such as gke.project=my-project or raspberrypi.hosts[0].port=22. Fix the flag.`,
      );
      continue;
    }
    if (isSecretKey(String(path[0]))) {
      problems.push(plainSecret(String(path[0]), "on the command line"));
      continue;
    }
    config = setIn(config, path, decodeValue(item.slice(eq + 1)));
  }
  for (const item of opts.secretEnv) {
    const eq = item.indexOf("=");
    if (eq <= 0)
      problems.push(
        `--secret-env ${JSON.stringify(item)}: expected <key>=<ENV_VAR> such as redisPassword=KUAR_REDIS_PASSWORD.`,
      );
    else secretEnv.push([item.slice(0, eq), item.slice(eq + 1)]);
  }

  const secrets: Partial<Record<SecretKey, string>> = {};
  for (const [key, name] of secretEnv) {
    const k = key.startsWith(`${NAMESPACE}:`) ? key.slice(NAMESPACE.length + 1) : key;
    if (!isSecretKey(k)) {
      problems.push(
        `secret ${JSON.stringify(key)}: not a secret kuar reads. Use one of ${stackSecretKeys.join(", ")}.`,
      );
      continue;
    }
    const value = src.env[name];
    if (!value)
      problems.push(
        `secret ${k}: environment variable ${name} is ${value === undefined ? "not set" : "empty"}. Export it before running kuar init, or leave ${k} out to generate it at deploy time.`,
      );
    else secrets[k] = value;
  }

  if (stack === undefined) problems.push("stack: is required. Pass --stack <name> or set stack: in the answers file.");
  else {
    const bad = stackNameProblem(stack);
    if (bad) problems.push(`stack: ${bad}`);
  }

  const schemaProblems = check(config);
  if (schemaProblems.length) problems.push(formatProblems(schemaProblems));
  if (problems.length || stack === undefined) return { problems };
  return { answers: { stack, config: toStackConfig({ config }), secrets }, problems };
}

function plainSecret(key: string, where: string): string {
  return `${NAMESPACE}:${key}: a secret was given ${where}, where it would be visible in plain text; nothing was written. Use --secret-env ${key}=<ENV_VAR> (or secretsFromEnv in the answers file), or leave it out to generate it at deploy time.`;
}
