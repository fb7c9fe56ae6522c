/**
 * Writing a stack: the plain config with the `yaml` package, then each secret through Pulumi's
 * encrypted config (`pulumi config set --secret`), its value on stdin: never on a command line,
 * never in a file in plain text.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { NAMESPACE } from "../config/load.js";
import type { SecretKey } from "./answers.js";
import { renderStackYaml, type Kept } from "./render.js";

export function stackFile(stacksDir: string, stack: string): string {
  return join(stacksDir, `Pulumi.${stack}.yaml`);
}

/** How the wizard talks to the Pulumi CLI. Tests record these calls. */
export interface PulumiCli {
  /** Selects the stack in the project's backend, creating it (passphrase secrets) when new. */
  ensureStack(stack: string): void;
  /** Runs `pulumi <args>` with `stdin` as its input. */
  run(args: string[], stdin: string): { status: number; stderr: string };
}

export class WriteRefused extends Error {}

export interface WriteRequest {
  stacksDir: string;
  stack: string;
  config: Record<string, unknown>;
  secrets: Partial<Record<SecretKey, string>>;
  /** Replace an existing stack file (its salt and encrypted secrets are kept). */
  overwrite: boolean;
  /** Needed only when there are secrets; resolved before anything is written. */
  pulumi?: PulumiCli;
}

export interface WriteResult {
  file: string;
  kept: Kept;
  secretsStored: SecretKey[];
}

/** Writes the stack file, then the secrets. Refuses to replace a file without `overwrite`. */
export function writeStack(req: WriteRequest): WriteResult {
  const file = stackFile(req.stacksDir, req.stack);
  const exists = existsSync(file);
  if (exists && !req.overwrite) {
    throw new WriteRefused(
      `${file} already exists; nothing was written. Confirm replacing it (--overwrite), or pick another stack name.`,
    );
  }
  const secrets = Object.entries(req.secrets).filter((e): e is [SecretKey, string] => typeof e[1] === "string");
  if (secrets.length && !req.pulumi) throw new Error("secrets given but no Pulumi CLI to store them encrypted");
  const { text, kept } = renderStackYaml(req.config, exists ? readFileSync(file, "utf8") : undefined);
  const tmp = `${file}.kuar-init.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
  const stored = secrets.length
    ? storeSecrets({ file, stack: req.stack, secrets: Object.fromEntries(secrets), pulumi: req.pulumi! })
    : [];
  return { file, kept, secretsStored: stored };
}

/** Stores each secret with `pulumi config set --secret`, its value on stdin; returns the keys stored. */
export function storeSecrets(req: {
  file: string;
  stack: string;
  secrets: Partial<Record<SecretKey, string>>;
  pulumi: PulumiCli;
}): SecretKey[] {
  const { file } = req;
  const secrets = Object.entries(req.secrets).filter((e): e is [SecretKey, string] => typeof e[1] === "string");
  const stored: SecretKey[] = [];
  if (!secrets.length) return stored;
  const cli = req.pulumi;
  cli.ensureStack(req.stack);
  for (const [key, value] of secrets) {
    const args = [
      "config",
      "set",
      "--secret",
      `${NAMESPACE}:${key}`,
      "--stack",
      req.stack,
      "--config-file",
      file,
      "--non-interactive",
    ];
    const r = cli.run(args, value);
    if (r.status !== 0) {
      throw new Error(
        `${file} was written, but storing ${NAMESPACE}:${key} failed (pulumi exited with ${r.status}: ${r.stderr.trim()}). ` +
          `Set it yourself: npm run -s pulumi -- config set --secret ${NAMESPACE}:${key} --stack ${req.stack} (it prompts for the value).` +
          (stored.length ? ` Already stored: ${stored.join(", ")}.` : ""),
      );
    }
    stored.push(key);
  }
  return stored;
}

/** A PulumiCli running the `pulumi` on `env`'s PATH in `cwd`. */
export function cliPulumi(opts: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  ensureStack: (stack: string) => void;
}): PulumiCli {
  return {
    ensureStack: opts.ensureStack,
    run(args, stdin) {
      const r = spawnSync("pulumi", args, { cwd: opts.cwd, env: opts.env, input: stdin, encoding: "utf8" });
      return { status: r.status ?? 1, stderr: r.stderr ?? String(r.error ?? "") };
    },
  };
}

/**
 * The project's Pulumi: the toolchain's CLI (built on first use), the file backend in .kuar/ and
 * its generated passphrase (cli/engine.ts). Secrets can be stored only for stack files in
 * the project's own stacks/, since the stack's encryption salt lives there.
 */
export async function projectPulumi(stacksDir: string, log: (line: string) => void): Promise<PulumiCli> {
  const engine = await import("../cli/engine.js");
  if (resolve(stacksDir) !== join(engine.root, "stacks")) {
    throw new WriteRefused(
      `secrets can only be stored for stacks in ${join(engine.root, "stacks")} (the stack's encryption salt lives there), not ${stacksDir}. ` +
        "Leave the secrets to be generated at deploy time, or drop --stacks-dir.",
    );
  }
  // Only the Pulumi CLI: storing a secret never builds the engine's plugins or a control plane.
  const { ensureFor } = await import("../cli/toolchain.js");
  const bin = ensureFor("cli", (line) =>
    log(`Storing secrets needs the Pulumi CLI; ${line.replace(/^toolchain: /, "")}`),
  );
  const env = engine.engineEnv(bin);
  return cliPulumi({ cwd: engine.root, env, ensureStack: (stack) => engine.selectStack(env, stack) });
}
