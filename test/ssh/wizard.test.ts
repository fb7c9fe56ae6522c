/**
 * The wizard's Raspberry Pi steps against real OpenSSH servers (harness.ts): ssh-keyscan reads
 * the host key and the fingerprint matches ssh-keygen's; preflight connects with the pinned key
 * and reads architecture, cgroups and passwordless sudo; a wrong pinned key or a sudo password
 * is a FAIL with the fix. Then the whole interactive flow, scripted, with the real keyscan.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../../config/load.js";
import { stackFileConfig } from "../../config/stack-file.js";
import { settings } from "../../providers/raspberrypi/schema.js";
import { fingerprintOf, keyscan } from "../../providers/raspberrypi/hostkey.js";
import { main } from "../../wizard/main.js";
import { defaultPreflightDeps, formatChecks, preflight, type Check } from "../../wizard/preflight.js";
import { scripted } from "../unit/wizard/scripted.js";
import { Harness, USER, skipReason } from "../../kit/ssh/harness.js";

const reason = skipReason();
if (reason) console.log(`# ssh tier (wizard) SKIPPED: ${reason}`);

const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHBEc8upHiBfuFVN+gthpBS1x18UYyqxioCRQVLlfby";

describe("wizard raspberrypi steps over ssh", { skip: reason }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start(1);
  });
  after(async () => {
    if (!h) return;
    // Let sshd's last log lines land before the harness removes the host's directory (the
    // harness appends stderr after exit; see the note in the wizard's hand-off).
    for (const t of h.hosts) await t.halt();
    await new Promise((r) => setTimeout(r, 300));
    h.stop();
  });

  const host = (extra: Record<string, unknown> = {}) =>
    settings.parse({
      hosts: [
        {
          address: h.hosts[0]!.address,
          privateKeyPath: h.clientKey,
          hostKey: h.hosts[0]!.hostKey,
          role: "server",
          arch: "amd64",
          nodeName: "pi-1",
          ...extra,
        },
      ],
    });
  const run = async (extra: Record<string, unknown> = {}): Promise<Check[]> =>
    preflight({ target: "raspberrypi", raspberrypi: host(extra) }, defaultPreflightDeps());

  test("ssh-keyscan reads the host's ed25519 key; its fingerprint is the one ssh-keygen prints", async () => {
    const t = h.hosts[0]!;
    const r = await keyscan(t.address, 22);
    assert.equal(r.key, t.hostKey);
    const theirs = execFileSync("ssh-keygen", ["-lf", join(t.root, "etc/ssh/kuar_host_ed25519_key.pub")], {
      encoding: "utf8",
    }).split(" ")[1];
    assert.equal(fingerprintOf(r.key!), `ssh-ed25519 ${theirs}`);
  });

  test("preflight passes ssh with the pinned key, architecture and sudo; reports cgroups", async () => {
    const checks = await run();
    const by = (n: string) => checks.find((c) => c.name === `pi-1 ${n}`)!;
    assert.equal(by("ssh").status, "PASS", formatChecks(checks));
    assert.equal(by("architecture").status, "PASS", "the test host is x86_64 with arch: amd64");
    assert.equal(by("sudo").status, "PASS");
    // This machine has no cgroup v2 memory controller and no Pi cmdline flags: kuar would add them.
    assert.ok(["PASS", "WARN"].includes(by("cgroups").status));
    if (by("cgroups").status === "WARN") assert.match(by("cgroups").detail, /will add .* and reboot this Pi once/);
  });

  test("fails when the pinned host key is not the one the host presents", async () => {
    const checks = await run({ hostKey: OTHER_KEY });
    assert.deepEqual(
      checks.map((c) => c.status),
      ["FAIL"],
    );
    assert.match(
      checks[0]!.detail,
      /presented host key SHA256:\S+ \("ssh-ed25519 .*but the pinned hostKey is SHA256:\S+ .*Refusing to connect/,
    );
  });

  test("fails when the arch setting does not match uname -m", async () => {
    const checks = await run({ arch: "arm64" });
    const arch = checks.find((c) => c.name === "pi-1 architecture")!;
    assert.equal(arch.status, "FAIL");
    assert.match(arch.detail, /x86_64, but arch is arm64 \(expected aarch64\)/);
  });

  test("fails when sudo needs a password", async () => {
    const rule = join(h.hosts[0]!.root, `etc/sudoers.d/010_${USER}-nopasswd`);
    const saved = readFileSync(rule, "utf8");
    unlinkSync(rule);
    try {
      const checks = await run();
      const sudo = checks.find((c) => c.name === "pi-1 sudo")!;
      assert.equal(sudo.status, "FAIL");
      assert.match(sudo.detail, /cannot run sudo without a password\. Add "pi ALL=\(ALL\) NOPASSWD: ALL"/);
    } finally {
      writeFileSync(rule, saved, { mode: 0o440 });
    }
  });

  test("the interactive flow scans, pins and preflights a real host, and writes a valid stack", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kuar-wizard-ssh-"));
    try {
      const t = h.hosts[0]!;
      const s = scripted({
        stack: "homelab",
        target: "raspberrypi",
        "hosts[0].address": t.address,
        "hosts[0].privateKeyPath": h.clientKey,
        addons: ["dns", "gateway", "certManager", "metrics", "storage"],
      });
      const code = await main([], {
        stacksDir: dir,
        prompter: s.prompter,
        out: () => {},
        err: () => {},
        interactiveTerminal: true,
      });
      assert.equal(code, 0, s.said.join("\n"));
      assert.ok(
        s.said.some((l) => l.includes(fingerprintOf(t.hostKey).split(" ")[1]!)),
        "fingerprint shown",
      );
      assert.ok(
        s.said.some((l) => /^PASS {2}pi-10-213-\S+ ssh/m.test(l)),
        s.said.join("\n"),
      );
      const { raw } = stackFileConfig(join(dir, "Pulumi.homelab.yaml"));
      const c = parseConfig(raw);
      assert.equal((c.settings as { hosts: { hostKey: string }[] }).hosts[0]!.hostKey, t.hostKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
