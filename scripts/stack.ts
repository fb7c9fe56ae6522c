/**
 * `npm run up | preview | destroy`: the real engine on a file backend inside the project.
 *   tsx scripts/stack.ts up [--stack local] [extra pulumi args...]
 * Builds or reuses the toolchain, selects (or creates) the stack, starts a stopped local control
 * plane, runs pulumi non-interactively, and ends with the stack outputs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../config/load.js";
import { stackFileConfig, stackLabel } from "../config/stack-file.js";
import { toolchain } from "../config/versions.js";
import { Kwok } from "../providers/local/kwok.js";
import {
  elapsed,
  engineEnv,
  ensureToolchain,
  installKubernetesPlugin,
  configFileArgs,
  pulumi,
  root,
  selectStack,
} from "./lib/engine.js";

const [command, ...rest] = process.argv.slice(2);
const commands = { up: ["up", "--yes"], preview: ["preview"], destroy: ["destroy", "--yes"] } as const;
if (!command || !(command in commands)) {
  console.error("usage: tsx scripts/stack.ts <up|preview|destroy> [--stack <name>] [pulumi args...]");
  process.exit(2);
}
let stack = "local";
const si = rest.indexOf("--stack");
if (si >= 0) {
  stack = rest[si + 1] ?? stack;
  rest.splice(si, 2);
}

const start = Date.now();
const bin = ensureToolchain();
const env = engineEnv(bin);
installKubernetesPlugin(env, bin);
selectStack(env, stack);

// A local control plane stops with the machine; state still says it exists, so start it first.
const file = join(root, "stacks", `Pulumi.${stack}.yaml`);
if (existsSync(file)) {
  const config = parseConfig(stackFileConfig(file).raw);
  if (config.target === "local") {
    const name = (config.settings as { clusterName?: string }).clusterName ?? `kuar-${stackLabel(stack)}`;
    const kwok = new Kwok({ name, kubeVersion: toolchain.kubernetes, bin, log: (m) => console.log(`kuar: ${m}`) });
    if (kwok.exists() && !(await kwok.running())) await kwok.ensure((config.settings as { nodes: number }).nodes);
  }
}

const args = [
  ...commands[command as keyof typeof commands],
  "--stack",
  stack,
  "--non-interactive",
  ...configFileArgs(stack),
  ...rest,
];
console.log(`kuar: pulumi ${args.join(" ")}`);
const result = pulumi(env, args, { allowFailure: true });
if (result.status === 0 && command === "up") {
  console.log("\nStack outputs (secrets hidden; `pulumi stack output kubeconfig --show-secrets` reveals one):");
  pulumi(env, ["stack", "output", "--json", "--stack", stack]);
}
console.log(`kuar: ${command} ${result.status === 0 ? "finished" : "FAILED"} in ${elapsed(start)}`);
process.exit(result.status);
