/**
 * `npm run up | preview | destroy`: `kuar up | preview | destroy` (cli/stack.ts), kept for the
 * quick start.   tsx scripts/stack.ts up [--stack local] [-- extra pulumi args...]
 */
import { run } from "../cli/program.js";

process.exitCode = await run(process.argv.slice(2));
