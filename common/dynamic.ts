/**
 * Dynamic providers whose logic lives in an ordinary TypeScript module instead of a serialized
 * closure. The provider text Pulumi keeps in state (`__provider`) is a few lines of CommonJS
 * written here that hold only the module's path and load it through tsx at run time, so the
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
  const forwards = methods.map((m) => `    ${m}: (...args) => load().${m}(...args),`).join("\n");
  // The host (@pulumi/pulumi cmd/dynamic-provider) loads this with require-from-string and
  // calls handler() for every request; tsx's CommonJS API loads the TypeScript module (its ESM
  // loader cannot run there). Provider modules must not use top-level await.
  const text = [
    `"use strict";`,
    `exports.handler = function () {`,
    `  const file = require("path").resolve(${JSON.stringify(modulePath)});`,
    `  const load = () => require("tsx/cjs/api").require(file, file).provider;`,
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
