/**
 * `npm run cluster -- <status|start|stop|delete|kubeconfig> [--stack local]`: the local control
 * plane's lifecycle outside Pulumi. The cluster name comes from the stack's config.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../config/load.js";
import { stackFileConfig, stackLabel } from "../config/stack-file.js";
import { toolchain } from "../config/versions.js";
import { Kwok } from "../providers/local/kwok.js";
import { root, toolchainBinDir } from "./lib/engine.js";

const [command, ...rest] = process.argv.slice(2);
const si = rest.indexOf("--stack");
const stack = si >= 0 ? (rest[si + 1] ?? "local") : "local";
const file = join(root, "stacks", `Pulumi.${stack}.yaml`);
const config = parseConfig(existsSync(file) ? stackFileConfig(file).raw : {});
if (config.target !== "local") {
  console.error(`stack "${stack}" targets ${config.target}, not local; this command manages local control planes only`);
  process.exit(2);
}
const settings = config.settings as { clusterName?: string; nodes: number };
const name = settings.clusterName ?? `kuar-${stackLabel(stack)}`;
const kwok = new Kwok({ name, kubeVersion: toolchain.kubernetes, bin: toolchainBinDir(), log: console.log });

switch (command) {
  case "status":
    console.log(`${name}: ${!kwok.exists() ? "absent" : (await kwok.running()) ? "running" : "stopped"}`);
    break;
  case "start":
    await kwok.ensure(settings.nodes);
    break;
  case "stop":
    await kwok.stop();
    break;
  case "delete":
    await kwok.delete();
    break;
  case "kubeconfig":
    process.stdout.write(await kwok.kubeconfig());
    break;
  default:
    console.error("usage: npm run cluster -- <status|start|stop|delete|kubeconfig> [--stack <name>]");
    process.exit(2);
}
