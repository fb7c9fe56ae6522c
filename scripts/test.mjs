#!/usr/bin/env node
// Runs test tiers with Node's test runner and TypeScript through tsx.
//   node scripts/test.mjs unit ssh      (npm test)
//   node scripts/test.mjs e2e           (npm run test:e2e)
// Extra arguments after "--" go to node --test (e.g. --test-name-pattern).
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const tiers = dash < 0 ? argv : argv.slice(0, dash);
const extra = dash < 0 ? [] : argv.slice(dash + 1);

function find(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (e.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

// Files start longest first, so the slow ones do not begin last and leave a core idle: the ssh
// tier mostly waits on its hosts, and these unit files took the most CPU time here (2026-12-01,
// seconds: cli/plan 37, providers/aks 20, stacks-render 11, providers/gke 10). The order only
// changes when a file starts, never what runs.
const first = [
  "test/ssh/raspberrypi.test.ts",
  "test/unit/cli/plan.test.ts",
  "test/unit/providers/aks.test.ts",
  "test/ssh/wizard.test.ts",
  "test/unit/bootstrap/stacks-render.test.ts",
  "test/unit/providers/gke.test.ts",
];
/** A test file's path as the lists here spell it (forward slashes). */
const rel = (f) => f.split(sep).join("/");
const rank = (f) => {
  const i = first.indexOf(rel(f));
  return i < 0 ? first.length : i;
};
const files = tiers
  .flatMap((t) => find(join("test", t)))
  .map((f, i) => [f, i])
  .sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j)
  .map(([f]) => f);
if (files.length === 0) {
  console.error(`no test files found for tiers: ${tiers.join(", ")}`);
  process.exit(1);
}
// The program's own preload (Pulumi.yaml nodeargs): @pulumi/pulumi loads TypeScript, arborist
// and the Automation API at import time, and most test files use none of them.
const defer = fileURLToPath(new URL("lib/defer-pulumi-deps.mjs", import.meta.url));
// Three files at a time on two cores: the ssh tier's files spend most of their time waiting on
// sshd and reconnect delays, and a third slot keeps both cores busy meanwhile.
const concurrency = tiers.includes("e2e") ? "1" : "3";
const nodeTest = (loader, list, conc) => [
  "--import",
  defer,
  ...loader,
  "--test",
  `--test-concurrency=${conc}`,
  "--test-reporter=spec",
  ...extra,
  ...list,
];
const env = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" };

// The unit and ssh tiers run compiled ahead of time, like the program (scripts/lib/build-program.mjs:
// kuar's modules bundled, npm packages loaded from node_modules): tsx's loader in every test
// process cost more CPU than most files' own tests (npm test here: 239 s of CPU through tsx,
// 130 s compiled). Stack traces then name the build's files (.kuar/build/<key>/test/...), whose
// code is the source's, module by module; `node --import tsx --test <file>` runs one from source.
// These files must run from source, each for the reason given (printed with their report):
const FROM_SOURCE = new Map([
  [
    "test/unit/bootstrap/stacks-render.test.ts",
    "imports index.ts once per stack with a query string, for a fresh program each time",
  ],
]);
if (tiers.includes("e2e") || process.env["KUAR_TEST_FROM_SOURCE"] === "1") {
  const r = spawnSync(process.execPath, nodeTest(["--import", "tsx"], files, concurrency), { stdio: "inherit", env });
  process.exit(r.status ?? 1);
}
const { buildProgram } = await import("./lib/build-program.mjs");
const compiled = files.filter((f) => !FROM_SOURCE.has(rel(f)));
const fromSource = files.filter((f) => FROM_SOURCE.has(rel(f)));
const dir = await buildProgram(compiled.map(rel));
const built = compiled.map((f) => join(dir, f.replace(/\.ts$/, ".js")));
// Both runs at once; the from-source run's report is printed when it ends, so the two never interleave.
const run = (args, stdio) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio, env });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
const [main, side] = await Promise.all([
  run(nodeTest([], built, concurrency), "inherit"),
  fromSource.length
    ? run(nodeTest(["--import", "tsx"], fromSource, "1"), ["ignore", "pipe", "pipe"])
    : Promise.resolve({ code: 0, out: "" }),
]);
if (fromSource.length) {
  const why = fromSource.map((f) => `${rel(f)}: ${FROM_SOURCE.get(rel(f))}`).join("; ");
  process.stdout.write(`\n# run from source (${why})\n${side.out}`);
}
process.exit(main.code || side.code);
