/**
 * `kuar init --non-interactive`: every answer from flags or an answers file, the same schema,
 * a non-zero exit with the schema's messages on bad input, and nothing written on failure.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseConfig } from "../../../config/load.js";
import { stackFileConfig } from "../../../config/stack-file.js";
import { main } from "../../../wizard/main.js";
import type { PulumiCli } from "../../../wizard/write.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "kuar-wizard-ni-"));
  dirs.push(d);
  return d;
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}, stacksDir = tempDir()) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: { args: string[]; stdin: string }[] = [];
  const cli: PulumiCli = {
    ensureStack: () => {},
    run: (args, stdin) => (calls.push({ args, stdin }), { status: 0, stderr: "" }),
  };
  const code = await main(["--non-interactive", ...argv], {
    stacksDir,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
    pulumi: async () => cli,
    prompter: {
      text: () => assert.fail("prompted"),
      secret: () => assert.fail("prompted"),
      confirm: () => assert.fail("prompted"),
      select: () => assert.fail("prompted"),
      multi: () => assert.fail("prompted"),
      say: () => {},
    },
  });
  return { code, out: out.join("\n"), err: err.join("\n"), stacksDir, calls };
}

const load = (file: string) => parseConfig(stackFileConfig(file).raw);

describe("non-interactive happy path", () => {
  test("flags alone write a valid stack", async () => {
    const r = await run([
      "--stack",
      "gke-ci",
      "--target",
      "gke",
      "--set",
      "gke.project=kuar-ci-123456",
      "--set",
      "gke.region=europe-west4",
      "--set",
      "workloads.redis.enabled=true",
    ]);
    assert.equal(r.code, 0, r.err);
    const c = load(join(r.stacksDir, "Pulumi.gke-ci.yaml"));
    assert.equal(c.target, "gke");
    assert.equal((c.settings as { region: string }).region, "europe-west4");
    assert.equal(c.workloads.redis.enabled, true);
    assert.match(r.out, /Wrote .*Pulumi\.gke-ci\.yaml/);
  });

  test("an answers file (YAML) with flags overriding it, and a secret from the environment", async () => {
    const dir = tempDir();
    const answers = join(dir, "answers.yaml");
    writeFileSync(
      answers,
      [
        "stack: homelab",
        "target: raspberrypi",
        "raspberrypi:",
        "  hosts:",
        "    - address: 192.168.1.21",
        "      privateKeyPath: ~/.ssh/id_ed25519",
        "      hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHBEc8upHiBfuFVN+gthpBS1x18UYyqxioCRQVLlfby",
        "      role: server",
        "addons:",
        "  metallb:",
        "    addresses: [192.168.1.240-192.168.1.250]",
        "secretsFromEnv:",
        "  k3sToken: KUAR_K3S_TOKEN",
        "",
      ].join("\n"),
    );
    const token = "K10supersecret::server:abc";
    const r = await run(["--answers", answers, "--set", "raspberrypi.hosts[0].port=2222"], { KUAR_K3S_TOKEN: token });
    assert.equal(r.code, 0, r.err);
    const file = join(r.stacksDir, "Pulumi.homelab.yaml");
    const s = load(file).settings as { hosts: { port: number }[] };
    assert.equal(s.hosts[0]!.port, 2222);
    assert.ok(!readFileSync(file, "utf8").includes(token));
    assert.equal(r.calls.length, 1);
    assert.equal(r.calls[0]!.stdin, token);
    assert.ok(!r.calls[0]!.args.some((a) => a.includes(token)));
    assert.ok(!r.out.includes(token) && !r.err.includes(token));
  });

  test("a JSON answers file works too", async () => {
    const dir = tempDir();
    const answers = join(dir, "a.json");
    writeFileSync(answers, JSON.stringify({ stack: "local2", target: "local", local: { nodes: 5 } }));
    const r = await run(["--answers", answers]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(load(join(r.stacksDir, "Pulumi.local2.yaml")).settings, { nodes: 5, realNodes: 0, images: {} });
  });
});

describe("non-interactive failures", () => {
  test("fails when a value breaks the schema, with the schema's message, writing nothing", async () => {
    const r = await run([
      "--stack",
      "x",
      "--target",
      "gke",
      "--set",
      "gke.project=Bad Project",
      "--set",
      "gke.regoin=europe-west1",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /nothing was written/);
    assert.match(
      r.err,
      /kuar:gke\.project: expected a project id: 6-30 characters.*got "Bad Project"\. Run: gcloud projects list/,
    );
    assert.match(r.err, /kuar:gke\.regoin: is not a setting kuar knows.*Did you mean "region"\?/);
    assert.deepEqual(readdirSync(r.stacksDir), []);
  });

  test("fails when the stack name is missing or breaks Pulumi's rule", async () => {
    const a = await run(["--target", "local"]);
    assert.equal(a.code, 1);
    assert.match(a.err, /stack: is required\. Pass --stack <name>/);
    const b = await run(["--stack", "my stack"]);
    assert.equal(b.code, 1);
    assert.match(b.err, /stack: expected only letters, digits/);
    assert.deepEqual(readdirSync(b.stacksDir), []);
  });

  test("fails when a secret is given as a flag value, without echoing it", async () => {
    const r = await run(["--stack", "dev", "--set", "redisPassword=hunter22"]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /kuar:redisPassword: a secret was given on the command line.*--secret-env redisPassword=<ENV_VAR>/,
    );
    assert.ok(!r.err.includes("hunter22"));
    assert.deepEqual(readdirSync(r.stacksDir), []);
  });

  test("fails when a secret's environment variable is not set", async () => {
    const r = await run(["--stack", "dev", "--secret-env", "redisPassword=NOPE"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /secret redisPassword: environment variable NOPE is not set/);
  });

  test("fails when --set is malformed or the answers file is unreadable", async () => {
    const r = await run(["--stack", "dev", "--set", "novalue", "--answers", "/nonexistent/answers.yaml"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--set "novalue": expected <path>=<value>/);
    assert.match(r.err, /--answers \/nonexistent\/answers\.yaml: cannot read it/);
  });

  test("fails when the stack file exists and --overwrite is absent; replaces it with --overwrite", async () => {
    const dir = tempDir();
    const file = join(dir, "Pulumi.dev.yaml");
    writeFileSync(file, "config:\n  kuar:target: gke\nencryptionsalt: v1:keep\n");
    const r = await run(["--stack", "dev"], {}, dir);
    assert.equal(r.code, 1);
    assert.match(r.err, /already exists; nothing was written\. Pass --overwrite/);
    assert.equal(readFileSync(file, "utf8"), "config:\n  kuar:target: gke\nencryptionsalt: v1:keep\n");
    const o = await run(["--stack", "dev", "--overwrite"], {}, dir);
    assert.equal(o.code, 0, o.err);
    assert.match(readFileSync(file, "utf8"), /kuar:target: local[\s\S]*encryptionsalt: v1:keep/);
  });

  test("fails with usage (exit 2) on an unknown flag", async () => {
    const r = await run(["--stak", "dev"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /Unknown option '--stak'[\s\S]*usage: kuar init/);
  });
});
