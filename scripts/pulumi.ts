/**
 * `npm run pulumi -- <args>`: the pulumi CLI with this project's engine environment (toolchain on
 * PATH, file backend and passphrase in .kuar/), e.g. `npm run pulumi -- stack output --show-secrets`.
 */
import { spawnSync } from "node:child_process";
import { engineEnv, ensureToolchain, installKubernetesPlugin, root } from "./lib/engine.js";

const bin = ensureToolchain();
const env = engineEnv(bin);
installKubernetesPlugin(env, bin);
const r = spawnSync("pulumi", process.argv.slice(2), { cwd: root, env, stdio: "inherit" });
process.exit(r.status ?? 1);
