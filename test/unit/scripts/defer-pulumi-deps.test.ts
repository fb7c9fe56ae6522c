import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../../../scripts/lib/build-program.mjs";

/** Runs CommonJS `code` in a fresh node, with or without the preload, from the project root. */
function node(code: string, preload: boolean): string {
  const args = [...(preload ? ["--import", "./scripts/lib/defer-pulumi-deps.mjs"] : []), "-e", code];
  return execFileSync(process.execPath, args, { cwd: projectRoot, encoding: "utf8" }).trim();
}
const loaded = `require("@pulumi/pulumi");
const names = Object.keys(require.cache);
console.log(JSON.stringify(["/typescript/lib/typescript.js", "/@npmcli/arborist/lib/arborist/index.js", "/@pulumi/pulumi/automation/localWorkspace.js"].filter((m) => names.some((n) => n.endsWith(m)))));`;

test("the preload keeps TypeScript, arborist and the Automation API out of a program's start", () => {
  assert.equal(node(loaded, false).split(",").length, 3, "without it @pulumi/pulumi loads all three");
  assert.equal(node(loaded, true), "[]");
});

test("what it defers still works when used", () => {
  const code = `const pulumi = require("@pulumi/pulumi");
const ts = require("@pulumi/pulumi/typescript-shim");
console.log(typeof pulumi.automation.LocalWorkspace.create, typeof ts.createSourceFile, ts.SyntaxKind.Identifier > 0);`;
  assert.equal(node(code, true), "function function true");
});

test("the installed @pulumi/pulumi is the version whose layout the preload was checked against", () => {
  const installed = JSON.parse(readFileSync(join(projectRoot, "node_modules/@pulumi/pulumi/package.json"), "utf8"));
  const pinned = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
  const source = readFileSync(join(projectRoot, "scripts/lib/defer-pulumi-deps.mjs"), "utf8");
  assert.equal(installed.version, pinned);
  assert.match(source, new RegExp(`version === "${pinned.replaceAll(".", "\\.")}"`), "recheck the deferred modules");
});
