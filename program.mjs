/**
 * What Pulumi runs (Pulumi.yaml `main`): the program in index.ts, compiled ahead of time by
 * scripts/lib/build-program.mjs when its sources changed, then run as plain JavaScript. Its
 * exports are the stack outputs.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildProgram } from "./scripts/lib/build-program.mjs";

const dir = await buildProgram(["index.ts"]);
export default { ...(await import(pathToFileURL(join(dir, "index.js")).href)) };
