/**
 * `npm run pulumi -- <args>`: the pulumi CLI with this project's engine environment (toolchain on
 * PATH, file backend and passphrase in .kuar/), e.g. `npm run pulumi -- stack output --show-secrets`.
 * Builds only the Pulumi CLI and the plugins the engine needs, never the local control plane.
 */
import { runPulumi, engine } from "../cli/stack.js";
import { createUi } from "../cli/ui.js";

const e = await engine(createUi(), "engine");
process.exitCode = await runPulumi(e, process.argv.slice(2));
