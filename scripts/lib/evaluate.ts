/**
 * Evaluates the kuar program for a stack file under recording mocks (no engine, no cluster) and
 * prints how many resources it registered. `npm run bench` times this as "program evaluation",
 * built ahead of time like the program (scripts/lib/build-program.mjs) and started with
 * Pulumi.yaml's nodeargs, so it loads exactly what the engine's run of the program loads:
 *   node --import ./scripts/lib/defer-pulumi-deps.mjs .kuar/build/<key>/scripts/lib/evaluate.js <stack file>
 * It also runs through tsx: node --import tsx scripts/lib/evaluate.ts stacks/Pulumi.local.yaml
 */
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { stackFileConfig } from "../../config/stack-file.js";
import { useMocks } from "../../kit/mocks.js";

const file = process.argv[2];
const root = process.env["KUAR_ROOT"] ?? process.cwd();
if (!file) throw new Error("usage: evaluate.ts <stack file> (from the project root, or with KUAR_ROOT set)");
const { raw, secureKeys } = stackFileConfig(file);
const stack = basename(file).replace(/^Pulumi\.|\.yaml$/g, "");
const mocks = await useMocks({ stack, config: raw, secretKeys: secureKeys });
// What Pulumi.yaml's main runs (a computed path, so the build leaves it out of this bundle).
await import(pathToFileURL(join(root, "program.mjs")).href);
await mocks.settle(10);
console.log(`${mocks.resources.length} resources registered`);
