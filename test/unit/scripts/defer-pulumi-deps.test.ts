import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { projectRoot } from "../../../scripts/lib/build-program.mjs";

/** Runs CommonJS `code` in a fresh node, with or without the preload, from the project root. */
function node(code: string, preload: boolean): string {
  const args = [...(preload ? ["--import", "./scripts/lib/defer-pulumi-deps.mjs"] : []), "-e", code];
  return execFileSync(process.execPath, args, { cwd: projectRoot, encoding: "utf8" }).trim();
}
const loaded = `require("@pulumi/pulumi");
const names = Object.keys(require.cache);
console.log(JSON.stringify(["/typescript/lib/typescript.js", "/@npmcli/arborist/lib/arborist/index.js", "/@pulumi/pulumi/automation/localWorkspace.js", "/normalize-package-data/lib/normalize.js"].filter((m) => names.some((n) => n.endsWith(m)))));`;

test("the preload keeps TypeScript, arborist, the Automation API and the code-path walker out of a program's start", () => {
  assert.equal(node(loaded, false).split(",").length, 4, "without it @pulumi/pulumi loads all four");
  assert.equal(node(loaded, true), "[]");
});

test("what it defers still works when used", () => {
  const code = `const pulumi = require("@pulumi/pulumi");
const ts = require("@pulumi/pulumi/typescript-shim");
const codePaths = require.resolve("@pulumi/pulumi/runtime/closure/codePaths");
const before = Object.keys(require.cache).some((n) => n.endsWith("/normalize-package-data/lib/normalize.js"));
console.log(typeof pulumi.automation.LocalWorkspace.create, typeof ts.createSourceFile, ts.SyntaxKind.Identifier > 0,
  typeof pulumi.runtime.computeCodePaths, before, typeof require(codePaths).findWorkspaceRoot);`;
  assert.equal(node(code, true), "function function true function false function");
});

test("the installed @pulumi/pulumi is the version whose layout the preload was checked against", () => {
  const installed = JSON.parse(readFileSync(join(projectRoot, "node_modules/@pulumi/pulumi/package.json"), "utf8"));
  const pinned = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
  const source = readFileSync(join(projectRoot, "scripts/lib/defer-pulumi-deps.mjs"), "utf8");
  assert.equal(installed.version, pinned);
  assert.match(source, new RegExp(`version === "${pinned.replaceAll(".", "\\.")}"`), "recheck the deferred modules");
});

test("the preload defers from any working directory: it finds the project's SDK from its own place", () => {
  const args = ["--import", join(projectRoot, "scripts/lib/defer-pulumi-deps.mjs"), "-e", loaded];
  const out = execFileSync(process.execPath, args, {
    cwd: tmpdir(),
    encoding: "utf8",
    env: { ...process.env, NODE_PATH: join(projectRoot, "node_modules") },
  });
  assert.equal(out.trim(), "[]");
});

test("Pulumi.yaml runs kuar's dynamic resources in Pulumi's own host, started with the preload", async () => {
  const project = parse(readFileSync(join(projectRoot, "Pulumi.yaml"), "utf8")) as {
    plugins?: { providers?: { name: string; path: string }[] };
  };
  const entry = project.plugins?.providers?.find((p) => p.name === "pulumi-nodejs");
  assert.ok(entry, "a plugins.providers entry for pulumi-nodejs");
  const host = join(projectRoot, entry.path, "pulumi-resource-pulumi-nodejs");
  assert.ok(statSync(host).mode & 0o100, `${host} is executable`);
  // The engine starts it with its own address and reads the port it listens on from stdout.
  const child = spawn(host, ["127.0.0.1:1"], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.trim());
      });
      child.on("exit", (code) => reject(new Error(`the host exited (${code}) before it listened`)));
    });
    assert.match(port, /^\d+$/);
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    assert.ok(cmdline.includes(join(projectRoot, "scripts/lib/defer-pulumi-deps.mjs")), cmdline.join(" "));
    assert.ok(cmdline.includes(join(projectRoot, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js")));
  } finally {
    child.kill();
  }
});
