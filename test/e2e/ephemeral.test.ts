/**
 * `kuar ephemeral` for real on the local target: run (up, test, down) passes and leaves nothing;
 * reap removes an expired stack; SIGINT or SIGTERM during up ends every engine process the run
 * started, and down or reap then leaves nothing; down, run and reap refuse a stack kuar did not
 * create, leaving it and its committed file. After every case, nothing it started or wrote is
 * left (harness.ts assertNothingLeft: processes by the case's marker, stack and cluster names;
 * stacks in the backend; stack, session and control plane files).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { isEngineProcess } from "../../cli/processes.js";
import { engineEnv, removeStack, root, toolchainBinDir } from "../../cli/engine.js";
import { assertNothingLeft, cannotRun, caseEnv, caseProcesses, seconds, type CaseIds } from "../../kit/e2e/harness.js";

const reason = cannotRun();
if (reason) console.log(`# e2e tier not run: ${reason}`);

const base = "e2e-ephemeral-base";
const baseFile = join(root, "stacks", `Pulumi.${base}.yaml`);
const cli = join(root, "cli", "main.ts");

/** Runs kuar with the case's marker in its environment (inherited by the engine and every plugin). */
function kuar(args: string[], tag: string) {
  const r = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], {
    cwd: root,
    env: caseEnv(tag),
    encoding: "utf8",
    // A local up takes minutes on a busy machine; the engine's own awaits give up after 10.
    timeout: 1_500_000,
  });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Stacks in the backend, by name. */
function stacks(): string[] {
  return (JSON.parse(kuarPulumi(["stack", "ls", "--json"]) || "[]") as { name: string }[]).map((s) => s.name);
}
function kuarPulumi(args: string[]): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "pulumi.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
  });
  return r.stdout;
}
const clusterExists = (name: string) => existsSync(join(homedir(), ".kwok", "clusters", `kuar-${name}`));
/** The ids of one ephemeral stack's case: its stack, its control plane, its marker. */
const idsOf = (tag: string, ...names: string[]): CaseIds => ({
  stacks: names,
  clusters: names.map((n) => `kuar-${n}`),
  tag,
});
/** Waits until an ISO time has passed (a TTL of 1m, the shortest kuar accepts, running out). */
async function until(iso: string): Promise<void> {
  const ms = Date.parse(iso) - Date.now() + 1000;
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

describe("kuar ephemeral on the local target", { skip: reason }, () => {
  before(() => {
    writeFileSync(
      baseFile,
      stringify({
        config: { "kuar:target": "local", "kuar:local": { nodes: 2 }, "kuar:workloads": { kuard: { enabled: true } } },
      }),
    );
  });
  after(() => {
    for (const s of stacks().filter((n) => n.startsWith("ci-"))) kuar(["ephemeral", "down", "--name", s], "after");
    rmSync(baseFile, { force: true });
  });

  test("run: up, smoke test and down pass, and leave nothing behind", () => {
    const name = `ci-run-${process.pid}`;
    const t0 = Date.now();
    const r = kuar(["ephemeral", "run", "--from", base, "--name", name, "--ttl", "1h"], name);
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    // The smoke checks are the command's result: stdout (status lines go to stderr).
    assert.match(r.stdout, /PASS nodes Ready/);
    assert.match(r.stdout, /PASS: \d+\/\d+ checks passed/);
    assertNothingLeft(idsOf(name, name));
    console.log(`# ephemeral run: ${seconds(t0)}s`);
  });

  test("up writes a mode-600 kubeconfig and prints outputs; down twice is safe", () => {
    const name = `ci-up-${process.pid}`;
    const r = kuar(["ephemeral", "up", "--from", base, "--name", name], name);
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const out = JSON.parse(r.stdout) as { stack: string; kubeconfig: string; outputs: Record<string, unknown> };
    assert.equal(out.stack, name);
    assert.equal(out.outputs["kubeconfig"], "[secret]", "secrets are masked in printed outputs");
    const mode = spawnSync("stat", ["-c", "%a", out.kubeconfig], { encoding: "utf8" }).stdout.trim();
    assert.equal(mode, "600");
    assert.equal(kuar(["ephemeral", "test", "--name", name], name).status, 0);
    assert.equal(kuar(["ephemeral", "down", "--name", name], name).status, 0);
    assertNothingLeft(idsOf(name, name));
    const again = kuar(["ephemeral", "down", "--name", name], name);
    assert.equal(again.status, 0, again.stderr);
  });

  test("reap destroys an expired ephemeral stack and keeps a live one", async () => {
    const expired = `ci-old-${process.pid}`;
    const live = `ci-live-${process.pid}`;
    const tag = `reap-${process.pid}`;
    // 1m is the shortest TTL kuar accepts (0m is a usage error): wait it out rather than fake the clock.
    const old = kuar(["ephemeral", "up", "--from", base, "--name", expired, "--ttl", "1m"], tag);
    assert.equal(old.status, 0, old.stderr.slice(-3000));
    const keep = kuar(["ephemeral", "up", "--from", base, "--name", live, "--ttl", "2h"], tag);
    assert.equal(keep.status, 0, keep.stderr.slice(-3000));
    await until((JSON.parse(old.stdout) as { expiresAt: string }).expiresAt);
    const r = kuar(["ephemeral", "reap"], tag);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).reaped, [expired]);
    assert.ok(stacks().includes(live), "the live stack is kept");
    assert.ok(clusterExists(live), "and so is its control plane");
    assert.equal(kuar(["ephemeral", "down", "--name", live], tag).status, 0);
    assertNothingLeft(idsOf(tag, expired, live));
  });

  test("fails when down, run or reap would touch a stack kuar did not create: refused, stack and committed file kept", () => {
    // The committed local stack, as in issue 16's data-loss report: its file is tracked by git.
    const committed = join(root, "stacks", "Pulumi.local.yaml");
    const refuseTag = `refuse-${process.pid}`;
    const original = readFileSync(committed, "utf8");
    const hasLocal = () =>
      (JSON.parse(kuarPulumi(["stack", "ls", "--json"]) || "[]") as { name: string }[]).some((s) => s.name === "local");
    // A real stack named "local" in the backend, without the ephemeral marker (the quick start's, or one made here).
    const existed = hasLocal();
    if (!existed) kuarPulumi(["stack", "init", "local", "--secrets-provider", "passphrase"]);
    try {
      assert.ok(hasLocal(), "the local stack exists in the backend for this test");
      const before = readFileSync(committed, "utf8");

      const down = kuar(["ephemeral", "down", "--name", "local"], refuseTag);
      assert.equal(down.status, 1, down.stderr);
      assert.match(down.stderr, /refusing to tear down local: stacks\/Pulumi\.local\.yaml is committed to git/);
      const run = kuar(["ephemeral", "run", "--from", "local", "--name", "local"], refuseTag);
      assert.notEqual(run.status, 0);
      assert.match(run.stderr, /--name local: stacks\/Pulumi\.local\.yaml already exists/);
      const reap = kuar(["ephemeral", "reap"], refuseTag);
      assert.equal(reap.status, 0, reap.stderr);
      assert.ok(!(JSON.parse(reap.stdout).reaped as string[]).includes("local"));

      assert.equal(readFileSync(committed, "utf8"), before, "the committed stack file is untouched");
      assert.ok(hasLocal(), "the local stack is still in the backend");
      assert.equal(existsSync(join(root, ".kuar", "ephemeral", "local.json")), false, "no session was invented");
    } finally {
      if (!existed) kuarPulumi(["stack", "rm", "local", "--yes", "--force", "--preserve-config", "--remove-backups"]);
      // Put the committed file back only if something changed it (the assertion above says what).
      if (readFileSync(committed, "utf8") !== original) writeFileSync(committed, original);
    }
    // Nothing it ran is still running (the local stack itself is not the case's to remove).
    assertNothingLeft({ stacks: [], tag: refuseTag });
  });

  test("fails when down is asked for an unmarked, uncommitted stack: refused, naming the marker", () => {
    const name = `e2e-unmarked-${process.pid}`;
    const file = join(root, "stacks", `Pulumi.${name}.yaml`);
    writeFileSync(file, stringify({ config: { "kuar:target": "local" } }));
    try {
      kuarPulumi(["stack", "init", name, "--secrets-provider", "passphrase"]);
      const r = kuar(["ephemeral", "down", "--name", name], name);
      assert.equal(r.status, 1, r.stderr);
      // Pulumi.yaml declares kuar:ephemeral with default false, so the engine reports "false" here.
      assert.match(
        r.stderr,
        new RegExp(`refusing to tear down ${name}: the stack has (no kuar:ephemeral marker|kuar:ephemeral = "false")`),
      );
      assert.ok(existsSync(file), "its stack file is kept");
      assert.ok(JSON.parse(kuarPulumi(["stack", "ls", "--json"])).some((s: { name: string }) => s.name === name));
    } finally {
      removeStack(engineEnv(toolchainBinDir()), name);
      rmSync(file, { force: true });
    }
    assertNothingLeft(idsOf(name, name));
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} during up ends the run's plugins, and ${signal === "SIGINT" ? "down" : "reap"} then leaves nothing`, async () => {
      const name = `ci-${signal.toLowerCase()}-${process.pid}`;
      const ids = idsOf(name, name);
      const child = spawn(
        process.execPath,
        ["--import", "tsx", cli, "ephemeral", "up", "--from", base, "--name", name, "--ttl", "1m"],
        { cwd: root, env: caseEnv(name), stdio: ["ignore", "pipe", "pipe"] },
      );
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      try {
        // Interrupt once the control plane exists and Kubernetes objects are being created.
        const t0 = Date.now();
        while (!(clusterExists(name) && /kubernetes:/.test(err)) && Date.now() - t0 < 600_000)
          await new Promise((r) => setTimeout(r, 200));
        assert.ok(clusterExists(name), `up never created the control plane:\n${err.slice(-2000)}`);
        child.kill(signal);
        const code = await new Promise<number | null>((r) => child.on("close", r));
        assert.notEqual(code, 0, "an interrupted up must not report success");
        // The interrupted run ended every engine process it started; only the control plane stays for down.
        const engine = caseProcesses(ids).filter((p) => isEngineProcess(p.args));
        assert.deepEqual(engine, [], "engine processes outlived the interrupted up");
        // A short failure: no Automation API dump, the engine's log printed once at most.
        const tail = err.slice(err.lastIndexOf(`${signal} received`));
        assert.doesNotMatch(tail, /code: -?\d+\s+stdout:|\bstderr: /, tail.slice(-2000));
        assert.ok((err.match(/Updating \(/g) ?? []).length <= 1, "the engine's log appears once at most");
        const session = JSON.parse(readFileSync(join(root, ".kuar", "ephemeral", `${name}.json`), "utf8")) as {
          expiresAt: string;
        };
        if (signal === "SIGTERM") await until(session.expiresAt);
        const cleanup =
          signal === "SIGINT" ? kuar(["ephemeral", "down", "--name", name], name) : kuar(["ephemeral", "reap"], name);
        assert.equal(cleanup.status, 0, cleanup.stderr.slice(-3000));
        if (signal === "SIGTERM") assert.ok((JSON.parse(cleanup.stdout).reaped as string[]).includes(name));
        // Converges: a second down finds nothing and succeeds.
        const again = kuar(["ephemeral", "down", "--name", name], name);
        assert.equal(again.status, 0, again.stderr);
        assertNothingLeft(ids);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });
  }
});
