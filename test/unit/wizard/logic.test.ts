/** The wizard's pure functions: paths, values, rendering, summary, fingerprints. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import {
  decodeValue,
  parsePath,
  problemsAt,
  relevantSecrets,
  setIn,
  stackNameProblem,
  toStackConfig,
} from "../../../wizard/answers.js";
import { fingerprint, fingerprintOf, keyFromKeyscan } from "../../../providers/raspberrypi/hostkey.js";
import { renderStackYaml, summaryText } from "../../../wizard/render.js";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHBEc8upHiBfuFVN+gthpBS1x18UYyqxioCRQVLlfby";

describe("answers", () => {
  test("paths parse with dots, indexes and an optional kuar: prefix", () => {
    assert.deepEqual(parsePath("kuar:raspberrypi.hosts[1].port"), ["raspberrypi", "hosts", 1, "port"]);
    assert.deepEqual(parsePath("gke.workloadPools[0].spot"), ["gke", "workloadPools", 0, "spot"]);
    assert.equal(parsePath("[0].x"), undefined);
    assert.equal(parsePath("a..b"), undefined);
  });

  test("values decode like Pulumi config; setIn creates lists and objects and copies", () => {
    assert.equal(decodeValue("3"), 3);
    assert.equal(decodeValue("true"), true);
    assert.deepEqual(decodeValue('["a","b"]'), ["a", "b"]);
    assert.equal(decodeValue("europe-west1"), "europe-west1");
    const root = { a: 1 };
    const next = setIn(root, ["hosts", 0, "port"], 22);
    assert.deepEqual(next, { a: 1, hosts: [{ port: 22 }] });
    assert.deepEqual(root, { a: 1 });
  });

  test("fails when a stack name breaks Pulumi's rule", () => {
    assert.equal(stackNameProblem("gke-dev_1.a"), undefined);
    assert.match(stackNameProblem("a/b")!, /expected only letters, digits, '-', '_' and '\.', got "a\/b".*try "a-b"/);
    assert.match(stackNameProblem("x".repeat(101))!, /at most 100 characters/);
    assert.match(stackNameProblem("")!, /expected a stack name/);
  });

  test("problems belong to a question at its path or below, not above or beside", () => {
    const mk = (path: string) => ({ path, received: 1, message: "m", fix: "f" });
    const got = problemsAt(
      [
        mk("kuar:raspberrypi.hosts"),
        mk("kuar:raspberrypi.hosts[0].address"),
        mk("kuar:raspberrypi.hosts[0].addressx"),
        mk("kuar:raspberrypi.hosts[1].port"),
      ],
      [["raspberrypi", "hosts", 0, "address"]],
    );
    assert.deepEqual(
      got.map((p) => p.path),
      ["kuar:raspberrypi.hosts[0].address"],
    );
  });

  test("the stack config never holds secrets and always names its target", () => {
    assert.deepEqual(toStackConfig({ config: { redisPassword: "x", workloads: {} } }), {
      target: "local",
      workloads: {},
    });
    assert.deepEqual(relevantSecrets({ target: "raspberrypi", workloads: { redis: { enabled: true } } }), [
      "k3sToken",
      "redisPassword",
    ]);
  });

  test("a secret a section declares for one of its settings is asked for once that setting is set", () => {
    const eab = { target: "local", addons: { certManager: { issuer: "acme", acme: { eabKeyId: "kid" } } } };
    assert.deepEqual(relevantSecrets(eab), ["acmeEabHmacKey"]);
    assert.deepEqual(relevantSecrets({ target: "local", addons: { certManager: { issuer: "acme" } } }), []);
    // The wizard learns this from the schema's meta, not from a line naming cert-manager.
    const source = readFileSync(join(import.meta.dirname, "../../../wizard/answers.ts"), "utf8");
    assert.doesNotMatch(source, /certManager|eabKeyId|acmeEabHmacKey/);
  });
});

describe("render", () => {
  test("the stack file is plain YAML under config: with kuar: keys and a header", () => {
    const { text } = renderStackYaml({ target: "local", local: { nodes: 2 }, redisPassword: "no" });
    assert.equal(
      text,
      [
        "# Written by `kuar init` (docs/wizard.md); edit freely. Keys: docs/configuration.md.",
        "# Secrets are never written here in plain text: they are `secure:` values Pulumi encrypted,",
        "# or generated at deploy time and kept encrypted in the stack's state.",
        "",
        "config:",
        "  kuar:target: local",
        "  kuar:local:",
        "    nodes: 2",
        "",
      ].join("\n"),
    );
  });

  test("fails when an overwrite keeps another target's cloud keys and unneeded secrets: they are dropped", () => {
    const old =
      "config:\n  aws:region: eu-west-1\n  myorg:owner: me\n  kuar:target: eks\n  kuar:eks: {region: eu-west-1}\n  kuar:k3sToken:\n    secure: v1:x\nencryptionsalt: v1:s\n";
    const { text, kept } = renderStackYaml({ target: "local" }, old);
    const doc = parse(text) as { config: Record<string, unknown>; encryptionsalt: string };
    assert.deepEqual(doc.config, { "kuar:target": "local", "myorg:owner": "me" });
    assert.equal(doc.encryptionsalt, "v1:s");
    assert.deepEqual(kept, {
      topLevel: ["encryptionsalt"],
      config: ["myorg:owner"],
      dropped: ["aws:region", "kuar:eks", "kuar:k3sToken"],
    });
  });

  test("fails when an overwrite loses the file's comments or a secret the new config uses", () => {
    const old = [
      "# my homelab, edited by hand",
      "config:",
      "  # the Pis' cloud: none",
      "  gcp:project: old-project # another project's",
      "  kuar:target: raspberrypi",
      "  kuar:redisPassword:",
      "    secure: v1:r",
      "  kuar:k3sToken:",
      "    secure: v1:k",
      "encryptionsalt: v1:s # keep me",
      "",
    ].join("\n");
    const { text } = renderStackYaml(
      { target: "gke", gke: { project: "new" }, workloads: { redis: { enabled: true } } },
      old,
    );
    assert.match(text, /^# my homelab, edited by hand/);
    assert.match(text, /encryptionsalt: v1:s # keep me/);
    const doc = parse(text) as { config: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc.config), [
      "kuar:target",
      "kuar:gke",
      "kuar:workloads",
      "gcp:project",
      "kuar:redisPassword",
    ]);
    assert.equal(doc.config["gcp:project"], "new", "another project's gcp:project follows the new answer");
    assert.doesNotMatch(text, /k3sToken/, "a secret the gke stack does not use is dropped");
  });

  test("the summary names the file, target settings, add-ons, workloads and secrets, host keys by fingerprint", () => {
    const text = summaryText({
      stack: "homelab",
      file: "stacks/Pulumi.homelab.yaml",
      exists: false,
      config: {
        target: "raspberrypi",
        raspberrypi: { hosts: [{ address: "192.168.1.21", hostKey: KEY, role: "server" }] },
        addons: { dashboard: { enabled: false } },
        workloads: { kuard: { enabled: true }, redis: { enabled: true } },
      },
      secretsSet: ["redisPassword"],
      secretsUsed: ["k3sToken", "redisPassword"],
    });
    assert.match(text, /File {6}stacks\/Pulumi\.homelab\.yaml {2}\(new\)/);
    assert.match(text, /hosts\[0\]\.hostKey: ssh-ed25519 SHA256:ZJAP1ZO9nk7P8AT\/75NFP2PgS\+5VLNaywc\+OAA4RNYQ/);
    assert.match(
      text,
      /Add-ons {3}on: dns, gateway, certManager, metrics, storage, metallb; off: dashboard, externalDns/,
    );
    assert.match(text, /Workloads kuard, redis/);
    assert.match(text, /redisPassword \(set now, stored encrypted\), k3sToken \(generated at deploy time\)/);
  });
});

describe("host keys", () => {
  test("the fingerprint is OpenSSH's SHA256 of the key blob (checked against ssh-keygen -l)", () => {
    assert.equal(fingerprint(KEY.split(" ")[1]!), "SHA256:ZJAP1ZO9nk7P8AT/75NFP2PgS+5VLNaywc+OAA4RNYQ");
    if (!existsSync("/usr/bin/ssh-keygen"))
      return console.log("# ssh-keygen cross-check SKIPPED: /usr/bin/ssh-keygen missing");
    const dir = mkdtempSync(join(tmpdir(), "kuar-fp-"));
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", join(dir, "k")]);
      const pub = readFileSync(join(dir, "k.pub"), "utf8").trim();
      const theirs = execFileSync("ssh-keygen", ["-lf", join(dir, "k.pub")], { encoding: "utf8" }).split(" ")[1];
      assert.equal(fingerprintOf(pub), `ssh-ed25519 ${theirs}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ssh-keyscan output: comments skipped, the ed25519 line returned without the host", () => {
    const out = `# 10.0.0.5:22 SSH-2.0-OpenSSH_9.2p1 Debian-2\n10.0.0.5 ${KEY}\n`;
    assert.equal(keyFromKeyscan(out), KEY);
    assert.equal(keyFromKeyscan("# only a comment\n"), undefined);
  });
});

describe("fix hints in the prompts", () => {
  test("fails when a prompt's fix advises pulumi config set mid-wizard", async () => {
    const { promptError, promptFix } = await import("../../../wizard/answers.js");
    const fix =
      "Reserve free addresses on the nodes' network and run: pulumi config set --path 'kuar:addons.metallb.addresses[0]' 192.168.1.240-192.168.1.250.";
    assert.doesNotMatch(promptFix(fix), /pulumi config set/);
    assert.match(promptFix(fix), /^Reserve free addresses on the nodes' network\./);
    assert.equal(promptFix("Run: pulumi config set kuar:x 1."), "Type another answer.");
    const text = promptError({
      path: "kuar:local.nodes",
      received: 0,
      message: "must be at least 1",
      fix: "Use 1 or more. Or run pulumi config set kuar:local.nodes 3.",
    });
    assert.equal(text, "kuar:local.nodes: must be at least 1, got 0. Use 1 or more.");
  });
});
