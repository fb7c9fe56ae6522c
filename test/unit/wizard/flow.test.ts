/**
 * The whole interactive flow, driven through scripted prompts (the real prompts are rendered in
 * prompts.test.ts): local, GKE and Raspberry Pi stacks are written into a temp directory and
 * loaded back through the program's parseConfig; rejected answers show the schema's own text.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseConfig } from "../../../config/load.js";
import { stackFileConfig } from "../../../config/stack-file.js";
import { check, promptError } from "../../../wizard/answers.js";
import { fingerprint } from "../../../providers/raspberrypi/hostkey.js";
import { main, type MainDeps } from "../../../wizard/main.js";
import type { PulumiCli } from "../../../wizard/write.js";
import { quietPreflight, scripted, seq } from "./scripted.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "kuar-wizard-"));
  dirs.push(d);
  return d;
}

const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHBEc8upHiBfuFVN+gthpBS1x18UYyqxioCRQVLlfby";
const KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC/FP6woTPjDWDuL1hYqQ4MkFkrG7wIUY/WT21N7soMv";

/** Preflight that starts nothing; each host's SSH check passes. */
const preflight = quietPreflight(async (h) => [{ status: "PASS", name: `${h.address} ssh`, detail: "stub" }]);

export function recordingPulumi() {
  const calls: { args: string[]; stdin: string }[] = [];
  const ensured: string[] = [];
  const cli: PulumiCli = {
    ensureStack: (s) => void ensured.push(s),
    run: (args, stdin) => {
      calls.push({ args, stdin });
      return { status: 0, stderr: "" };
    },
  };
  return { cli, calls, ensured };
}

async function run(script: Record<string, unknown>, extra: Partial<MainDeps> = {}, argv: string[] = []) {
  const stacksDir = extra.stacksDir ?? tempDir();
  const s = scripted(script);
  const out: string[] = [];
  const err: string[] = [];
  const pulumi = recordingPulumi();
  const code = await main(argv, {
    stacksDir,
    prompter: s.prompter,
    keyscan: async () => ({ error: "not scripted" }),
    preflight,
    pulumi: async () => pulumi.cli,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    interactiveTerminal: true,
    ...extra,
  });
  return { code, stacksDir, ...s, out, err, pulumi };
}

function load(file: string) {
  const { raw, secureKeys } = stackFileConfig(file);
  return parseConfig(raw, { isSecret: (k) => secureKeys.includes(`kuar:${k}`) });
}

describe("interactive flow", () => {
  test("local with every default writes a stack the program accepts", async () => {
    const r = await run({});
    assert.equal(r.code, 0, [...r.err, ...r.said].join("\n"));
    const file = join(r.stacksDir, "Pulumi.dev.yaml");
    const c = load(file);
    assert.equal(c.target, "local");
    assert.deepEqual(c.settings, { nodes: 3, realNodes: 0, images: {} });
    assert.equal(c.workloads.kuard.enabled, true);
    assert.equal(c.workloads.redis.enabled, false);
    assert.ok(
      r.said.some((l) => l.includes("Target    local")),
      "summary shown",
    );
    assert.ok(
      r.said.some((l) => /^PASS/.test(l) || l.startsWith("preflight:")),
      "preflight shown",
    );
    assert.deepEqual(r.pulumi.calls, [], "no secrets, no pulumi");
  });

  test("gke: a bad project id is re-asked with the schema's message, spot defaults on for a dev stack", async () => {
    const r = await run({
      stack: "gke-dev",
      target: "gke",
      "gke.project": seq("My Project", "kuar-dev-123456"),
      "gke.maxNodes": seq("0", "3"),
      workloads: ["kuard", "redis"],
    });
    assert.equal(r.code, 0, [...r.err, ...r.said].join("\n"));
    const expected = check({ target: "gke", gke: { project: "My Project" } }).find(
      (p) => p.path === "kuar:gke.project",
    )!;
    assert.deepEqual(r.errorsOf("gke.project"), [promptError(expected)]);
    assert.match(
      r.errorsOf("gke.project")[0]!,
      /expected a project id: 6-30 characters.*got "My Project"\. Run: gcloud projects list/,
    );
    assert.match(r.errorsOf("gke.maxNodes")[0]!, /kuar:gke\.workloadPools\[0\]\.maxNodes: must be at least 1/);
    const c = load(join(r.stacksDir, "Pulumi.gke-dev.yaml"));
    const s = c.settings as {
      project: string;
      region: string;
      workloadPools: { spot: boolean; minNodes: number; machineType: string }[];
    };
    assert.equal(s.project, "kuar-dev-123456");
    assert.equal(s.region, "europe-west1");
    assert.equal(s.workloadPools[0]!.spot, true);
    assert.equal(s.workloadPools[0]!.machineType, "e2-standard-4");
    assert.equal(c.workloads.redis.enabled, true);
  });

  test("gke: a floor above the ceiling is re-asked with the cross-field message", async () => {
    const r = await run({
      stack: "prod",
      target: "gke",
      "gke.project": "kuar-prod-123456",
      "gke.maxNodes": "3",
      "gke.minNodes": seq("4", "2"),
    });
    assert.equal(r.code, 0, [...r.err, ...r.said].join("\n"));
    assert.deepEqual(r.errorsOf("gke.minNodes"), [
      "kuar:gke.workloadPools[0].minNodes: must not exceed maxNodes (3), got 4. Lower minNodes or raise maxNodes to at least 4.",
    ]);
    const s = load(join(r.stacksDir, "Pulumi.prod.yaml")).settings as { workloadPools: { spot: boolean }[] };
    assert.equal(s.workloadPools[0]!.spot, false, "no spot by default outside dev stacks");
  });

  test("aks and eks write stacks the program accepts", async () => {
    const a = await run({ stack: "aks-dev", target: "aks", "aks.location": seq("West Europe", "westeurope") });
    assert.equal(a.code, 0, a.err.join("\n"));
    assert.match(a.errorsOf("aks.location")[0]!, /expected an Azure region name.*Use "westeurope"\./);
    assert.equal(
      (load(join(a.stacksDir, "Pulumi.aks-dev.yaml")).settings as { location: string }).location,
      "westeurope",
    );

    const e = await run({
      stack: "eks",
      target: "eks",
      "eks.availabilityZones": seq("eu-west-1a", "eu-west-1a, eu-west-1b"),
      "eks.publicAccessCidrs": seq("", "203.0.113.0/24"),
    });
    assert.equal(e.code, 0, [...e.err, ...e.said].join("\n"));
    assert.match(e.errorsOf("eks.availabilityZones")[0]!, /must list at least 2 zones/);
    assert.match(
      e.errorsOf("eks.publicAccessCidrs")[0]!,
      /must list who may reach the public endpoint while restrictPublicEndpoint is on/,
    );
    const s = load(join(e.stacksDir, "Pulumi.eks.yaml")).settings as {
      nodeGroups: { name: string; capacityType: string }[];
    };
    assert.deepEqual(
      s.nodeGroups.map((g) => g.name),
      ["system", "workload"],
    );
  });

  test("raspberrypi: scanned key shown by fingerprint and pinned, pasted key validated, servers checked by the schema", async () => {
    const scanned: string[] = [];
    const r = await run(
      {
        stack: "homelab",
        target: "raspberrypi",
        "hosts[0].address": seq("192.168.1.", "192.168.1.21"),
        "hosts[1].address": "192.168.1.22",
        "hosts[1].scan": false,
        "hosts[1].hostKey": seq("ssh-rsa AAAAB3Nza", KEY_B),
        "hosts.more": seq(true, false),
        servers: seq([0, 1], [0]),
        addons: ["dns", "gateway", "certManager", "metrics", "storage", "metallb"],
        "addons.metallb.addresses": seq("192.168.1.250-192.168.1.240", "192.168.1.240-192.168.1.250"),
      },
      {
        keyscan: async (address, port) => {
          scanned.push(`${address}:${port}`);
          return { key: KEY_A };
        },
      },
    );
    assert.equal(r.code, 0, [...r.err, ...r.said].join("\n"));
    assert.deepEqual(scanned, ["192.168.1.21:22"]);
    const fp = fingerprint(KEY_A.split(" ")[1]!);
    assert.ok(
      r.said.some((l) => l.includes(fp)),
      `fingerprint ${fp} shown`,
    );
    assert.match(
      r.errorsOf("hosts[0].address")[0]!,
      /kuar:raspberrypi\.hosts\[0\]\.address: expected an IPv4 address or a host name/,
    );
    assert.match(
      r.errorsOf("hosts[1].hostKey")[0]!,
      /expected an "ssh-ed25519 AAAA\.\.\." line.*Run ssh-keyscan -t ed25519 192\.168\.1\.22/,
    );
    assert.match(r.errorsOf("servers")[0]!, /has 2 servers; embedded etcd needs a majority/);
    assert.match(r.errorsOf("addons.metallb.addresses")[0]!, /starts after it ends/);

    const c = load(join(r.stacksDir, "Pulumi.homelab.yaml"));
    const s = c.settings as { hosts: { address: string; hostKey: string; role: string; privateKeyPath: string }[] };
    assert.deepEqual(
      s.hosts.map((h) => [h.address, h.role, h.hostKey]),
      [
        ["192.168.1.21", "server", KEY_A],
        ["192.168.1.22", "agent", KEY_B],
      ],
    );
    assert.equal(s.hosts[0]!.privateKeyPath, "~/.ssh/id_ed25519");
    assert.equal(c.addons.dashboard.enabled, false);
    assert.deepEqual(c.addons.metallb.addresses, ["192.168.1.240-192.168.1.250"]);
  });

  test("a bad stack name is re-asked with Pulumi's rule", async () => {
    const r = await run({ stack: seq("my stack!", "mystack") });
    assert.equal(r.code, 0);
    assert.match(r.errorsOf("stack")[0]!, /expected only letters, digits, '-', '_' and '\.', got "my stack!"/);
    assert.deepEqual(readdirSync(r.stacksDir), ["Pulumi.mystack.yaml"]);
  });

  test("an existing stack file is not replaced without confirmation: the name is asked again", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "Pulumi.dev.yaml"), "config:\n  kuar:target: local\n");
    const r = await run({ stack: seq("dev", "dev2"), overwrite: false }, { stacksDir: dir });
    assert.equal(r.code, 0);
    assert.equal(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8"), "config:\n  kuar:target: local\n");
    assert.equal(r.asked.filter((a) => a.id === "stack").length, 2);
    assert.ok(readFileSync(join(dir, "Pulumi.dev2.yaml"), "utf8").includes("kuar:target: local"));
  });

  test("replacing a confirmed existing file keeps its encryption salt and encrypted secrets", async () => {
    const dir = tempDir();
    const old =
      "config:\n  gcp:project: other\n  kuar:target: gke\n  kuar:redisPassword:\n    secure: v1:abc\nencryptionsalt: v1:salt\n";
    writeFileSync(join(dir, "Pulumi.dev.yaml"), old);
    const r = await run({ overwrite: true, workloads: ["kuard", "redis"] }, { stacksDir: dir });
    assert.equal(r.code, 0, [...r.err, ...r.said].join("\n"));
    const text = readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8");
    assert.match(text, /encryptionsalt: v1:salt/);
    assert.match(text, /kuar:redisPassword:\n\s+secure: v1:abc/);
    assert.doesNotMatch(text, /gcp:project/, "a gke stack's cloud key is stale on a local stack");
    assert.ok(r.said.some((l) => l.includes("Dropped   no longer used: gcp:project")));
    assert.match(text, /kuar:target: local/);
    assert.ok(r.said.some((l) => l.includes("Kept      from the existing file: encryptionsalt")));
  });

  test("declining the final confirmation writes nothing", async () => {
    const r = await run({ write: false });
    assert.equal(r.code, 1);
    assert.deepEqual(readdirSync(r.stacksDir), []);
  });

  test("secrets go to pulumi config set --secret on stdin, never into the file or a command line", async () => {
    const password = "s3cr3t-Redis-pw!";
    const r = await run({
      stack: "dev",
      workloads: ["kuard", "redis", "parse"],
      secrets: true,
      "secrets.which": ["redisPassword"],
      "secret.redisPassword": seq("", password),
    });
    assert.equal(r.code, 0, [...r.err, ...r.said].join("\n"));
    assert.match(r.errorsOf("secret.redisPassword")[0]!, /kuar:redisPassword: expected a value/);
    const text = readFileSync(join(r.stacksDir, "Pulumi.dev.yaml"), "utf8");
    assert.ok(!text.includes(password), "secret not in the stack file");
    assert.deepEqual(r.pulumi.ensured, ["dev"]);
    assert.equal(r.pulumi.calls.length, 1);
    const call = r.pulumi.calls[0]!;
    assert.deepEqual(call.args.slice(0, 6), ["config", "set", "--secret", "kuar:redisPassword", "--stack", "dev"]);
    assert.equal(call.stdin, password);
    for (const c of r.pulumi.calls) assert.ok(!c.args.some((a) => a.includes(password)), "secret not in argv");
    assert.ok(![...r.out, ...r.err, ...r.said].some((l) => l.includes(password)), "secret never printed");
    assert.ok(
      r.said.some(
        (l) =>
          l.includes("redisPassword (set now, stored encrypted)") &&
          l.includes("parseMasterKey (generated at deploy time)"),
      ),
    );
  });

  test("fails when flags cannot pre-fill the prompts: --stack and --target are taken, --set offers defaults", async () => {
    const r = await run({}, {}, ["--stack", "gke-try", "--target", "gke", "--set", "gke.project=my-proj-123"]);
    assert.equal(r.code, 0, [...r.err, ...r.said].join("\n"));
    assert.equal(r.asked.filter((a) => a.id === "stack" || a.id === "target").length, 0, "not asked again");
    assert.ok(
      r.asked.some((a) => a.id === "gke.project"),
      "asked, with the flag's value as the answer offered",
    );
    const c = load(join(r.stacksDir, "Pulumi.gke-try.yaml"));
    assert.equal(c.target, "gke");
    assert.equal((c.settings as { project: string }).project, "my-proj-123");
    assert.ok(
      r.out.some((l) => l.includes("kuar preview --stack gke-try")),
      r.out.join("\n"),
    );
    assert.ok(!r.out.some((l) => /(^|\s)pulumi (preview|up) --stack/.test(l)), "no plain pulumi command suggested");
  });

  test("fails when losing a secret loses the answers: the stack file is written before secrets are stored", async () => {
    const r = await run(
      {
        stack: "dev",
        workloads: ["kuard", "redis"],
        secrets: true,
        "secrets.which": ["redisPassword"],
        "secret.redisPassword": "pw-123456",
      },
      { pulumi: async () => Promise.reject(new Error("toolchain build failed")) },
    );
    assert.equal(r.code, 1);
    assert.ok(readFileSync(join(r.stacksDir, "Pulumi.dev.yaml"), "utf8").includes("kuar:target: local"));
    assert.match(r.err.join("\n"), /npm run -s pulumi -- config set --secret kuar:redisPassword --stack dev/);
  });

  test("without a terminal it refuses to prompt and points at --non-interactive", async () => {
    const r = await run({}, { interactiveTerminal: false });
    assert.equal(r.code, 2);
    assert.match(r.err.join("\n"), /--non-interactive/);
    assert.deepEqual(readdirSync(r.stacksDir), []);
  });

  test("cancelling (Ctrl-C) exits 130 and writes nothing", async () => {
    const s = scripted({});
    const dir = tempDir();
    const cancel = Object.assign(new Error("User force closed the prompt"), { name: "ExitPromptError" });
    const code = await main([], {
      stacksDir: dir,
      prompter: { ...s.prompter, select: async () => Promise.reject(cancel) },
      out: () => {},
      err: () => {},
      interactiveTerminal: true,
    });
    assert.equal(code, 130);
    assert.deepEqual(readdirSync(dir), []);
  });
});
