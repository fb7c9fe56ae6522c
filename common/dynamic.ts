/**
 * Dynamic providers whose logic lives in an ordinary TypeScript module instead of a serialized
 * closure. The provider object Pulumi serializes into state holds only the module's absolute
 * path and loads it through tsx at run time, so the implementation can import anything
 * (node-ssh, our own helpers) and be tested directly.
 */
import * as pulumi from "@pulumi/pulumi";

type Method = "check" | "diff" | "create" | "read" | "update" | "delete";

/**
 * Builds a provider that forwards each call to `provider` exported by the module at `modulePath`,
 * a path relative to the project root (the dynamic provider host's working directory), so state
 * stays valid when the checkout moves.
 */
export function moduleProvider(modulePath: string, methods: Method[]): pulumi.dynamic.ResourceProvider {
  const forward = (method: Method) =>
    async function (...args: unknown[]) {
      // Runs inside Pulumi's dynamic provider host (CommonJS), where require exists.
      const file = require("path").resolve(modulePath);
      // tsx's CommonJS loader: the host evaluates this function as CommonJS, where its ESM
      // loader cannot resolve its own files. Provider modules must not use top-level await.
      const mod = require("tsx/cjs/api").require(file, file);
      return mod.provider[method](...args);
    };
  const p: Record<string, unknown> = {};
  for (const m of methods) p[m] = forward(m);
  return p as unknown as pulumi.dynamic.ResourceProvider;
}

interface TsxCjsApi {
  require(id: string, fromFile: string): { provider: Record<Method, (...args: unknown[]) => unknown> };
}
declare const require: ((id: "tsx/cjs/api") => TsxCjsApi) & ((id: "path") => typeof import("node:path"));
