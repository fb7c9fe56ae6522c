#!/usr/bin/env node
// The `kuar` bin: defers the parts of @pulumi/pulumi a command may never touch (the program's
// preload, scripts/lib/defer-pulumi-deps.mjs), then loads the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";

await import("../scripts/lib/defer-pulumi-deps.mjs");
register();
await import("./main.ts");
