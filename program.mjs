/**
 * What Pulumi runs (Pulumi.yaml `main`): the program in index.ts, compiled ahead of time by
 * scripts/lib/build-program.mjs when its sources changed, then run as plain JavaScript. Its
 * exports are the stack outputs.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildProgram } from "./scripts/lib/build-program.mjs";

/**
 * The engine starts kuar's dynamic provider host (scripts/plugins/pulumi-resource-pulumi-nodejs)
 * when the first resource it serves is registered, and the cluster's own provider waits for it:
 * on the local target the control plane is such a resource, registered about 0.6 s into the
 * program here, and the host then takes about 0.5 s to start. An invoke through that provider,
 * sent now, makes the engine start it while the program loads. The host serves no functions, so
 * the invoke fails ("unknown function"), silently; only its side effect is wanted.
 * Only under the engine (cmd/run sets PULUMI_NODEJS_MONITOR; under mocks there is no host), and
 * only on the local target, whose control plane is always such a resource: elsewhere a stack
 * need not have one, and the invoke would add the host's provider to its state.
 */
if (process.env["PULUMI_NODEJS_MONITOR"]) {
  const { Config, runtime } = await import("@pulumi/pulumi");
  if ((new Config("kuar").get("target") ?? "local") === "local") {
    runtime.invoke("pulumi-nodejs:dynamic:startHost", {}).catch(() => {});
  }
}

const dir = await buildProgram(["index.ts"]);
export default { ...(await import(pathToFileURL(join(dir, "index.js")).href)) };
