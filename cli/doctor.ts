/**
 * `kuar doctor --stack <s>`: the wizard's read-only preflight (tools, credentials, SSH to each
 * Pi) for an existing stack file, plus whether its config is valid. Builds nothing.
 */
import { existsSync } from "node:fs";
import { formatProblems } from "../config/errors.js";
import { decode, NAMESPACE } from "../config/load.js";
import { stackFileConfig } from "../config/stack-file.js";
import { toolchainReady } from "./engine.js";
import { check } from "../wizard/answers.js";
import { defaultPreflightDeps, formatChecks, preflight, verdict, type PreflightDeps } from "../wizard/preflight.js";
import { UsageError } from "./errors.js";
import { stackFilePath } from "./stack.js";
import type { Ui } from "./ui.js";

/** The stack file's `kuar:*` keys as the wizard's config object (namespace dropped, values decoded). */
export function stackObject(raw: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw))
    if (k.startsWith(`${NAMESPACE}:`)) out[k.slice(NAMESPACE.length + 1)] = decode(v);
  return out;
}

export async function doctor(
  ui: Ui,
  stack: string,
  deps: PreflightDeps = { ...defaultPreflightDeps(), toolchainReady },
  file = stackFilePath(stack),
): Promise<number> {
  if (!existsSync(file))
    throw new UsageError(`--stack ${stack}: no stack file ${file}. Create one with "kuar init --stack ${stack}".`);
  const config = stackObject(stackFileConfig(file).raw);
  const problems = check(config);
  if (problems.length) {
    ui.out(`FAIL  config  ${file} is not valid:`);
    ui.out(formatProblems(problems));
  } else ui.out(`PASS  config  ${file} is valid (target ${String(config["target"] ?? "local")})`);
  const checks = await preflight(config, deps);
  if (checks.length) ui.out(formatChecks(checks));
  ui.out(verdict(checks));
  return problems.length || checks.some((c) => c.status === "FAIL") ? 1 : 0;
}
