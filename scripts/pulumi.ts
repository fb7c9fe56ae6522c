/**
 * `npm run pulumi -- <args>`: the pulumi CLI with this project's engine environment (toolchain on
 * PATH, file backend and passphrase in .kuar/), e.g. `npm run pulumi -- stack output --show-secrets`.
 * Builds only the Pulumi CLI and the plugins the engine needs, never the local control plane.
 */
import { runPulumi, engine } from "../cli/stack.js";
import { createUi } from "../cli/ui.js";

const args = process.argv.slice(2);
// Config and stack commands need only the CLI; anything that may run the program needs the engine.
const e = await engine(createUi(), ["config", "stack", "version", "whoami"].includes(args[0] ?? "") ? "cli" : "engine");
process.exitCode = await runPulumi(e, args);
