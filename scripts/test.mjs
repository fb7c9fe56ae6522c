#!/usr/bin/env node
// Runs test tiers with Node's test runner and TypeScript through tsx.
//   node scripts/test.mjs unit ssh      (npm test)
//   node scripts/test.mjs e2e           (npm run test:e2e)
// Extra arguments after "--" go to node --test (e.g. --test-name-pattern).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

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

const files = tiers.flatMap((t) => find(join("test", t)));
if (files.length === 0) {
  console.error(`no test files found for tiers: ${tiers.join(", ")}`);
  process.exit(1);
}
const concurrency = tiers.includes("e2e") ? "1" : "2";
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...extra, ...files],
  { stdio: "inherit", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } },
);
process.exit(r.status ?? 1);
