/**
 * Ctrl-C during an engine run: kuar must outlive the signal long enough to wait for the engine and
 * end what it started. The child below runs a process through execa exactly as the Automation
 * API does (execa 5, cleanup on, SIGINT on abort), so signal-exit is loaded as in a real `up`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { root } from "../../../cli/engine.js";

const script = `
import execa from "execa";
import { interruptible } from ${JSON.stringify(pathToFileURL(join(root, "cli", "signals.ts")).href)};
const stop = interruptible((l) => console.log(l));
const engine = execa("sleep", ["30"]);
stop.signal.addEventListener("abort", () => engine.kill("SIGINT", { forceKillAfterTimeout: false }));
console.log("ready");
try { await engine; } catch { console.log("engine stopped"); }
await new Promise((r) => setTimeout(r, 300));
console.log("cleanup ran");
stop.dispose();
process.exitCode = 130;
`;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`fails when ${signal} kills kuar before the engine stops: the run waits, cleans up, exits 130; a second ${signal} does not cut it short`, async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    for (let i = 0; i < 200 && !out.includes("ready"); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /ready/);
    child.kill(signal);
    child.kill(signal);
    const [code, sig] = await new Promise<[number | null, string | null]>((r) =>
      child.on("close", (c, s) => r([c, s])),
    );
    assert.equal(sig, null, `killed by ${sig}:\n${out}`);
    assert.equal(code, 130, out);
    assert.match(out, new RegExp(`${signal} received: stopping`));
    assert.match(out, /engine stopped\n[^]*cleanup ran/);
  });
}
