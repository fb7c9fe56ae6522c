/**
 * Dynamic providers whose logic lives in an ordinary TypeScript module instead of a serialized
 * closure. The provider text Pulumi keeps in state (`__provider`) is a few lines of CommonJS
 * written here that hold only the module's path and load it compiled ahead of time, so the
 * implementation can import anything (node-ssh, our own helpers) and be tested directly.
 *
 * The resources register as `pulumi-nodejs:dynamic/<module>:<type>`, exactly like
 * `pulumi.dynamic.Resource`, but without Pulumi's closure serializer: serializing even a small
 * closure enables the V8 inspector's debugger and loads the TypeScript compiler, about 3 s of
 * every program run (measured by `npm run bench`, evaluation step).
 */
import * as pulumi from "@pulumi/pulumi";

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";

/** A dynamic provider implemented by the module at `modulePath`, as the text Pulumi stores. */
export interface ModuleProvider {
  readonly modulePath: string;
  /** CommonJS source whose `handler()` returns the provider (what Pulumi's dynamic provider host requires). */
  readonly text: string;
}

/**
 * Builds a provider that forwards each call to `provider` exported by the module at `modulePath`,
 * a path relative to the project root (the dynamic provider host's working directory), so state
 * stays valid when the checkout moves.
 */
export function moduleProvider(modulePath: string, methods: Method[]): ModuleProvider {
  const forwards = methods.map((m) => `    ${m}: async (...args) => (await load()).${m}(...args),`).join("\n");
  // The host (@pulumi/pulumi cmd/dynamic-provider) loads this with require-from-string and
  // calls handler() for every request. The module runs compiled ahead of time, like the program
  // (scripts/lib/build-program.mjs: rebuilt only when one of its sources changed), so the host
  // loads no TypeScript loader: through tsx the local control plane's module took 0.4-1.2 s to
  // load on every engine run, before the cluster's provider could be configured.
  const js = modulePath.replace(/\.ts$/, ".js");
  const text = [
    `"use strict";`,
    `let loaded;`,
    `const load = () =>`,
    `  (loaded ??= (async () => {`,
    `    const { join, resolve } = require("path");`,
    `    const { pathToFileURL } = require("url");`,
    `    const build = await import(pathToFileURL(resolve("scripts/lib/build-program.mjs")).href);`,
    `    const dir = await build.buildProgram([${JSON.stringify(modulePath)}]);`,
    `    return (await import(pathToFileURL(join(dir, ${JSON.stringify(js)})).href)).provider;`,
    `  })());`,
    `exports.handler = function () {`,
    `  return {`,
    forwards,
    `  };`,
    `};`,
    ``,
  ].join("\n");
  return { modulePath, text };
}

/**
 * A resource served by a {@link ModuleProvider}: the same type token and `__provider` input as a
 * `pulumi.dynamic.Resource`, so existing state keeps working.
 */
export class ModuleResource extends pulumi.CustomResource {
  constructor(
    provider: ModuleProvider,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    module: string,
    type: string,
  ) {
    if ("__provider" in props) throw new Error(`${name}: a dynamic resource must not define the __provider key`);
    super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: provider.text }, opts);
  }
}
