/**
 * The `kuar` command (see cli/program.ts for every command and option; `kuar --help`).
 *   kuar up | preview | destroy | refresh | status | kubeconfig | doctor | plan | init | ephemeral
 */
import { run } from "./program.js";

process.exitCode = await run(process.argv.slice(2));
