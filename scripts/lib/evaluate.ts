/**
 * Evaluates the kuar program for a stack file under recording mocks (no engine, no cluster) and
 * prints how many resources it registered. `npm run bench` times this as "program evaluation".
 *   node --import tsx scripts/lib/evaluate.ts stacks/Pulumi.local.yaml
 */
import { basename } from "node:path";
import { stackFileConfig } from "../../config/stack-file.js";
import { useMocks } from "../../kit/mocks.js";

const file = process.argv[2];
if (!file) throw new Error("usage: evaluate.ts <stack file>");
const { raw, secureKeys } = stackFileConfig(file);
const stack = basename(file).replace(/^Pulumi\.|\.yaml$/g, "");
const mocks = await useMocks({ stack, config: raw, secretKeys: secureKeys });
await import("../../index.js");
await mocks.settle(10);
console.log(`${mocks.resources.length} resources registered`);
