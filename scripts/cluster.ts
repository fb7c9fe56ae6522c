/**
 * `npm run cluster -- <status|start|stop|delete|kubeconfig> [--stack local]`: the local control
 * plane's lifecycle outside Pulumi. The cluster name comes from the stack's config. Arguments are
 * checked first; a missing cluster or toolchain is a one-line message, never a stack trace.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { clusterDir, Kwok } from "../providers/local/kwok.js";
import { toolchain } from "../config/versions.js";
import { localClusterName, stackTarget } from "../cli/stack.js";
import { describeError } from "../cli/errors.js";
import { toolchainBinDir } from "../cli/engine.js";

const USAGE = "usage: npm run cluster -- <status|start|stop|delete|kubeconfig> [--stack <name>]";
const COMMANDS = ["status", "start", "stop", "delete", "kubeconfig"];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h") {
    console.log(USAGE);
    return 0;
  }
  if (!command || !COMMANDS.includes(command)) {
    console.error(`${command ? `unknown command "${command}"\n` : ""}${USAGE}`);
    return 2;
  }
  const si = rest.indexOf("--stack");
  const stack = si >= 0 ? rest[si + 1] : "local";
  if (!stack || rest.length !== (si >= 0 ? 2 : 0)) {
    console.error(USAGE);
    return 2;
  }
  const { target, settings } = stackTarget(stack);
  if (target !== "local") {
    console.error(`stack "${stack}" targets ${target}, not local; this command manages local control planes only`);
    return 2;
  }
  const name = localClusterName(stack, settings);
  const bin = toolchainBinDir();
  if (!existsSync(join(bin, "kwokctl")) && command !== "status") {
    console.error(
      `the local toolchain is not built yet (no kwokctl in ${bin}). Run: npm run up (or npm run toolchain)`,
    );
    return 1;
  }
  const kwok = new Kwok({ name, kubeVersion: toolchain.kubernetes, bin, log: console.log });
  switch (command) {
    case "status":
      console.log(`${name}: ${!kwok.exists() ? "absent" : (await kwok.running()) ? "running" : "stopped"}`);
      return 0;
    case "start":
      await kwok.ensure((settings as { nodes: number }).nodes);
      return 0;
    case "stop":
      await kwok.stop();
      return 0;
    case "delete":
      await kwok.delete();
      return 0;
    default: {
      if (!kwok.exists() || !existsSync(join(clusterDir(name), "kubeconfig.yaml"))) {
        console.error(
          `no local control plane "${name}" for stack ${stack}, so there is no kubeconfig. Run: npm run up${stack === "local" ? "" : ` -- --stack ${stack}`}`,
        );
        return 1;
      }
      process.stdout.write(await kwok.kubeconfig());
      return 0;
    }
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`cluster: ${describeError(e)}`);
  process.exitCode = 1;
}
