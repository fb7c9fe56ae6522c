#!/usr/bin/env node
// The `kuar` bin: defers the parts of @pulumi/pulumi only a closure needs (common/lazy-require.cjs),
// then loads the TypeScript CLI through tsx.
import { createRequire } from "node:module";
import { register } from "tsx/esm/api";

createRequire(import.meta.url)("../common/lazy-require.cjs");
register();
await import("./main.ts");
