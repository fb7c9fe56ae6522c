import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { buildProgram, externalPath, projectRoot } from "../../../scripts/lib/build-program.mjs";

// A throwaway project: two modules, node_modules from this checkout.
const root = mkdtempSync(join(tmpdir(), "kuar-build-"));
after(() => rmSync(root, { recursive: true, force: true }));
symlinkSync(join(projectRoot, "node_modules"), join(root, "node_modules"));
writeFileSync(join(root, "package.json"), '{ "type": "module" }\n');
writeFileSync(join(root, "where.ts"), "export const where: string = import.meta.url;\n");
const main = (greeting: string) =>
  `import { where } from "./where.js";\nimport { stringify } from "yaml";\nexport const out = { greeting: ${JSON.stringify(greeting)}, where, yaml: stringify({ a: 1 }) };\n`;
const run = (dir: string) =>
  JSON.parse(
    execFileSync(process.execPath, [
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(pathToFileURL(join(dir, "main.js")).href)}); console.log(JSON.stringify(m.out));`,
    ]).toString(),
  );

test("builds once, reuses a fresh build, and rebuilds when a source changes", async () => {
  writeFileSync(join(root, "main.ts"), main("hello"));
  const first = await buildProgram(["main.ts"], root);
  assert.equal(run(first).greeting, "hello");
  assert.equal(await buildProgram(["main.ts"], root), first, "unchanged sources reuse the build");
  writeFileSync(join(root, "main.ts"), main("changed"));
  const second = await buildProgram(["main.ts"], root);
  assert.notEqual(second, first);
  assert.equal(run(second).greeting, "changed");
  assert.deepEqual(
    readdirSync(join(root, ".kuar", "build")).filter((n) => n.startsWith("tmp-")),
    [],
    "no temporary directory is left",
  );
});

test("a module keeps its own source location and bundled packages work without tsx", async () => {
  writeFileSync(join(root, "main.ts"), main("where"));
  const out = run(await buildProgram(["main.ts"], root));
  assert.equal(out.where, pathToFileURL(join(root, "where.ts")).href);
  assert.equal(out.yaml, "a: 1\n");
});

test("only import.meta itself is replaced: the words in a string, and a .mjs module's own place, stay right", async () => {
  writeFileSync(join(root, "words.ts"), 'export const text = "import.meta.url and import.meta.dirname";\n');
  writeFileSync(join(root, "place.mjs"), "#!/usr/bin/env node\nexport const dir = import.meta.dirname;\n");
  writeFileSync(
    join(root, "main.ts"),
    'import { text } from "./words.js";\nimport { dir } from "./place.mjs";\nexport const out = { text, dir, own: import.meta.filename };\n',
  );
  const out = run(await buildProgram(["main.ts"], root));
  assert.equal(out.text, "import.meta.url and import.meta.dirname");
  assert.equal(out.dir, root);
  assert.equal(out.own, join(root, "main.ts"));
});

test("a package subpath that is a directory becomes a file Node's ESM resolver accepts", () => {
  const importer = join(projectRoot, "index.ts");
  assert.equal(externalPath("@pulumi/kubernetes/core", importer), "@pulumi/kubernetes/core/index.js");
  assert.equal(externalPath("@pulumi/pulumi/errors.js", importer), "@pulumi/pulumi/errors.js");
  assert.equal(externalPath("@pulumi/pulumi", importer), "@pulumi/pulumi");
  // A package with an exports map resolves its own subpaths.
  assert.equal(externalPath("zod/v4", importer), "zod/v4");
});

test("a fresh build is reused without loading esbuild (the check runs at the start of every engine run)", async () => {
  writeFileSync(join(root, "main.ts"), main("fresh"));
  const built = await buildProgram(["main.ts"], root);
  const check = `import { createRequire } from "node:module";
const { buildProgram } = await import(${JSON.stringify(pathToFileURL(join(projectRoot, "scripts/lib/build-program.mjs")).href)});
const dir = await buildProgram(["main.ts"], ${JSON.stringify(root)});
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => /[/]esbuild[/]lib[/]main\\.js$/.test(f));
console.log(JSON.stringify({ dir, loaded }));`;
  const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", check]).toString());
  assert.equal(out.dir, built, "the same build");
  assert.deepEqual(out.loaded, [], "esbuild's code is not loaded");
});
