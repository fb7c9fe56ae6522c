#!/usr/bin/env node
// Runs test tiers with Node's test runner and TypeScript through tsx.
//   node scripts/test.mjs unit ssh      (npm test)
//   node scripts/test.mjs e2e           (npm run test:e2e)
// Extra arguments after "--" go to node --test (e.g. --test-name-pattern).
import { spawnSync } from "node:child_process";
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
const rank = (f) => {
  const i = first.indexOf(f.split(sep).join("/"));
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
const r = spawnSync(
  process.execPath,
  [
    "--import",
    defer,
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${concurrency}`,
    "--test-reporter=spec",
    ...extra,
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } },
);
process.exit(r.status ?? 1);
