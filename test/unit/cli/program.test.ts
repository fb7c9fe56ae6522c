/**
 * The `kuar` front door: for every command, help on stdout with exit 0 and usage errors on stderr
 * with exit 2, all decided before anything is built (no "toolchain" step is ever printed here).
 * One spawned run checks the real entry point's exit status and streams.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { EXIT, run, version } from "../../../cli/program.js";
import { createUi } from "../../../cli/ui.js";
import { root } from "../../../cli/engine.js";

async function kuar(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(s), true), isTTY: false });
  const ui = createUi({ stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env: {} });
  const code = await run(argv, ui, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const COMMANDS = ["up", "preview", "destroy", "refresh", "status", "kubeconfig", "doctor", "plan", "init", "ephemeral"];
const EPHEMERAL = ["up", "test", "down", "reap", "run"];

describe("kuar command line", () => {
  test("--version prints the package version on stdout, exit 0", async () => {
    const r = await kuar("--version");
    assert.equal(r.code, EXIT.ok);
    assert.equal(r.stdout.trim(), version);
    assert.match(version, /^\d+\.\d+\.\d+/);
  });

  test("--help lists every command on stdout, exit 0", async () => {
    const r = await kuar("--help");
    assert.equal(r.code, EXIT.ok);
    assert.equal(r.stderr, "");
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, "m"), `${c} in help`);
  });

  for (const c of COMMANDS) {
    test(`${c} --help prints its usage on stdout, exit 0`, async () => {
      const r = await kuar(c, "--help");
      assert.equal(r.code, EXIT.ok, r.stderr);
      assert.match(r.stdout, c === "init" ? /usage: kuar init/ : new RegExp(`Usage: kuar ${c}`));
      assert.doesNotMatch(r.stderr, /==> toolchain/);
    });
  }

  for (const c of EPHEMERAL) {
    test(`ephemeral ${c} --help prints its usage on stdout, exit 0`, async () => {
      const r = await kuar("ephemeral", c, "--help");
      assert.equal(r.code, EXIT.ok, r.stderr);
      assert.match(r.stdout, new RegExp(`Usage: kuar ephemeral ${c}`));
    });
  }

  const usageErrors: [string[], RegExp][] = [
    [[], /Usage: kuar/],
    [["bogus"], /unknown command 'bogus'/],
    [["up", "--bogus"], /unknown option '--bogus'/],
    [["preview", "--stack", "bad name"], /expected a stack name/],
    [["destroy", "--stack"], /argument missing/],
    [["refresh", "--stack", "a/b"], /expected a stack name/],
    [["status", "--nope"], /unknown option/],
    [["kubeconfig", "--context"], /argument missing/],
    [["doctor", "extra"], /too many arguments/],
    [["plan", "--stack", ""], /expected a stack name/],
    [["init", "--bogus"], /Unknown option '--bogus'/],
    [["init", "--non-interactive"], /stack: is required/],
    [["ephemeral"], /Usage: kuar ephemeral/],
    [["ephemeral", "bogus"], /unknown command 'bogus'/],
    [["ephemeral", "up"], /required option '--from <stack>' not specified/],
    [["ephemeral", "up", "--from", "local", "--ttl", "0m"], /must be at least 1m, got "0m"/],
    [["ephemeral", "run", "--from", "local", "--ttl", "soon"], /expected a duration like 90m/],
    [["ephemeral", "up", "--from", "no-such-stack"], /no stack file stacks\/Pulumi\.no-such-stack\.yaml/],
    [["ephemeral", "run"], /required option '--from <stack>'/],
    [["ephemeral", "test", "--name", "Bad_Name"], /expected lowercase letters/],
    [["ephemeral", "down", "--name", "UPPER"], /expected lowercase letters/],
    [["ephemeral", "reap", "--now"], /unknown option/],
  ];
  for (const [argv, message] of usageErrors) {
    test(`fails with exit 2 on \`kuar ${argv.join(" ")}\`, before building anything`, async () => {
      const r = await kuar(...argv);
      // init's --non-interactive problems are answers, not usage: exit 1 there.
      assert.equal(r.code, argv[0] === "init" && argv[1] === "--non-interactive" ? 1 : EXIT.usage, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, "");
      assert.doesNotMatch(r.stderr, /==> toolchain|code: -2/);
    });
  }

  test("the bin: help on stdout exit 0, a usage error exit 2 with no stack trace", () => {
    const bin = join(root, "cli", "kuar.js");
    const help = spawnSync(process.execPath, [bin, "ephemeral", "--help"], { encoding: "utf8", cwd: root });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: kuar ephemeral/);
    const bad = spawnSync(process.execPath, [bin, "ephemeral", "up", "--from", "local", "--ttl", "0m"], {
      encoding: "utf8",
      cwd: root,
    });
    assert.equal(bad.status, 2);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
  });
});
