/**
 * Secrets through the real Pulumi CLI (the toolchain's, v3.248): a temp project with its own file
 * backend and passphrase, so nothing touches the project's stacks/ or .kuar/. The value reaches
 * pulumi on stdin; the stack file holds only the `secure:` ciphertext, which decrypts back.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { cliPulumi, writeStack, type PulumiCli } from "../../../wizard/write.js";

const bin = join(homedir(), ".cache", "kuar", "toolchain", "bin");
const reason = existsSync(join(bin, "pulumi")) ? undefined : `no Pulumi CLI at ${bin}; run npm run toolchain`;
if (reason) console.log(`# real-CLI secrets test SKIPPED: ${reason}`);

describe("secrets with the real Pulumi CLI", { skip: reason }, () => {
  const dir = mkdtempSync(join(tmpdir(), "kuar-wizard-pulumi-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("pulumi config set --secret reads the value from stdin and writes only ciphertext", () => {
    const project = join(dir, "project");
    const stacks = join(project, "stacks");
    mkdirSync(stacks, { recursive: true });
    mkdirSync(join(dir, "state"));
    writeFileSync(join(project, "Pulumi.yaml"), "name: kuar\nruntime: nodejs\nstackConfigDir: stacks\n");
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
      HOME: dir,
      PULUMI_HOME: join(dir, "home"),
      PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    const pulumi = (args: string[]) => spawnSync("pulumi", args, { cwd: project, env, encoding: "utf8" });
    const inner = cliPulumi({
      cwd: project,
      env,
      // The same commands as cli/engine.ts selectStack, in this temp project.
      ensureStack: (s) => {
        if (pulumi(["stack", "select", s]).status !== 0)
          assert.equal(pulumi(["stack", "init", s, "--secrets-provider", "passphrase"]).status, 0);
      },
    });
    const argv: string[][] = [];
    const cli: PulumiCli = {
      ensureStack: inner.ensureStack,
      run: (args, stdin) => (argv.push(args), inner.run(args, stdin)),
    };

    const secret = "pa55-w0rd with spaces & $ymbols";
    const r = writeStack({
      stacksDir: stacks,
      stack: "dev",
      config: { target: "local", workloads: { redis: { enabled: true } } },
      secrets: { redisPassword: secret },
      overwrite: false,
      pulumi: cli,
    });
    assert.deepEqual(r.secretsStored, ["redisPassword"]);
    const text = readFileSync(join(stacks, "Pulumi.dev.yaml"), "utf8");
    assert.ok(!text.includes(secret));
    assert.match(text, /kuar:redisPassword:\n\s+secure: v1:/);
    assert.match(text, /^# Written by `kuar init`/, "pulumi kept the header comment");
    assert.match(text, /encryptionsalt: /);
    assert.ok(!argv.flat().some((a) => a.includes(secret)));
    const got = pulumi(["config", "get", "kuar:redisPassword", "--stack", "dev"]);
    assert.equal(got.stdout.trim(), secret);
  });
});
