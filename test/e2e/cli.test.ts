/**
 * The wizard in a real terminal: tmux runs `kuar init` once per target (inquirer's real prompts,
 * keys sent as a person would type them), with flags pre-filling what has no default, and the
 * file it writes must parse with the program's schema. Needs tmux, not the toolchain: the
 * wizard never builds anything when no secret is set.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseConfig } from "../../config/load.js";
import { stackFileConfig } from "../../config/stack-file.js";
import { root } from "../../cli/engine.js";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const hasTmux = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;
const reason = hasTmux ? undefined : "tmux is not installed";
if (reason) console.log(`# tmux wizard walk not run: ${reason}`);

const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The answer for the active prompt (the last `?` line), or undefined to accept its default. */
function answerFor(prompt: string): string | undefined {
  if (/Run preflight checks/.test(prompt)) return "n";
  if (/host key now with ssh-keyscan/.test(prompt)) return "n";
  return undefined;
}

/**
 * Runs `kuar init <flags>` in a detached tmux session and answers every prompt; resolves with
 * the screen once the wizard printed "Wrote", or rejects with the screen after `timeoutMs`.
 */
async function walk(session: string, flags: string[], timeoutMs = 120_000): Promise<string> {
  const cmd = [process.execPath, "--import", "tsx", join(root, "cli", "main.ts"), "init", ...flags]
    .map(quote)
    .join(" ");
  const started = tmux("new-session", "-d", "-s", session, "-x", "220", "-y", "60", "-c", root, `${cmd}; sleep 30`);
  assert.equal(started.status, 0, started.stderr);
  const t0 = Date.now();
  let answered = "";
  let screen = "";
  try {
    while (Date.now() - t0 < timeoutMs) {
      await new Promise((r) => setTimeout(r, 250));
      screen = tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session).stdout;
      if (/^Wrote /m.test(screen)) return screen;
      const lines = screen.split("\n");
      const done = lines.filter((l) => /^✔ /.test(l)).length;
      const active = [...lines].reverse().find((l) => /^\? /.test(l));
      // One key press per new prompt: a prompt is identified by its text and how many came before.
      const id = `${done}:${active ?? ""}`;
      if (!active || id === answered) continue;
      answered = id;
      const a = answerFor(active);
      if (a !== undefined) tmux("send-keys", "-t", session, "-l", a);
      tmux("send-keys", "-t", session, "Enter");
    }
    throw new Error(`the wizard did not finish within ${timeoutMs / 1000}s; screen:\n${screen}`);
  } finally {
    tmux("kill-session", "-t", session);
  }
}

describe("kuar init in a terminal (tmux), once per target", { skip: reason }, () => {
  const dir = mkdtempSync(join(tmpdir(), "kuar-tmux-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const common = ["--stacks-dir", dir];
  const cases: [string, string[]][] = [
    ["local", ["--stack", "t-local", "--target", "local"]],
    ["gke", ["--stack", "t-gke", "--target", "gke", "--set", "gke.project=my-proj-123"]],
    ["aks", ["--stack", "t-aks", "--target", "aks"]],
    ["eks", ["--stack", "t-eks", "--target", "eks", "--set", 'eks.publicAccessCidrs=["198.51.100.0/24"]']],
    [
      "raspberrypi",
      [
        "--stack",
        "t-pi",
        "--target",
        "raspberrypi",
        "--set",
        "raspberrypi.hosts[0].address=192.168.1.21",
        "--set",
        `raspberrypi.hosts[0].hostKey=${HOST_KEY}`,
      ],
    ],
  ];
  // All five sessions at once: each waits mostly on node starting up.
  const walks = cases.map(([target, flags]) =>
    walk(`kuar-test-${process.pid}-${target}`, [...flags, ...common]).then(
      (screen) => ({ screen }),
      (error: Error) => ({ error }),
    ),
  );

  for (const [i, [target, flags]] of cases.entries()) {
    test(`walks the ${target} wizard with real prompts and writes a valid ${target} stack`, async () => {
      const r = await walks[i]!;
      if ("error" in r) throw r.error;
      const stack = flags[flags.indexOf("--stack") + 1]!;
      const file = join(dir, `Pulumi.${stack}.yaml`);
      assert.ok(existsSync(file), r.screen);
      const { raw } = stackFileConfig(file);
      const config = parseConfig(raw);
      assert.equal(config.target, target);
      assert.match(r.screen, new RegExp(`Target: ${target} \\(from --target\\)`), "the flag pre-filled the target");
      assert.match(r.screen, new RegExp(`kuar preview --stack ${stack}`), "Next: suggests a command that works");
      if (target === "gke") assert.equal((config.settings as { project: string }).project, "my-proj-123");
      if (target === "raspberrypi")
        assert.equal((config.settings as { hosts: { address: string }[] }).hosts[0]!.address, "192.168.1.21");
    });
  }
});
