/** Preflight result formatting and the cloud checks, with probes recorded instead of run. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { archCheck, cgroupCheck } from "../../../providers/raspberrypi/preflight.js";
import {
  formatChecks,
  preflight,
  probe,
  verdict,
  type PreflightDeps,
  type ProbeResult,
} from "../../../wizard/preflight.js";

function deps(opts: { tools?: string[]; files?: string[]; results?: Record<string, Partial<ProbeResult>> } = {}) {
  const calls: string[] = [];
  const d: PreflightDeps = {
    which: (n) => (opts.tools ?? []).includes(n),
    exists: (p) => (opts.files ?? []).includes(p),
    env: {},
    home: "/home/u",
    probe: async (cmd, args, timeoutMs) => {
      calls.push(`${cmd} ${args.join(" ")} (${timeoutMs} ms)`);
      return { code: 0, stdout: "", stderr: "", timedOut: false, missing: false, ...opts.results?.[cmd] };
    },
  };
  return { d, calls };
}

describe("cloud preflight", () => {
  test("gke: tools and application default credentials pass", async () => {
    const { d } = deps({
      tools: ["gcloud", "gke-gcloud-auth-plugin"],
      files: ["/home/u/.config/gcloud/application_default_credentials.json"],
    });
    const checks = await preflight({ target: "gke" }, d);
    assert.deepEqual(
      checks.map((c) => c.status),
      ["PASS", "PASS", "PASS"],
    );
  });

  test("gke: missing tools are WARN with the install hint, missing credentials FAIL with the login command", async () => {
    const { d } = deps();
    const text = formatChecks(await preflight({ target: "gke" }, d));
    assert.match(text, /^WARN {2}gcloud {18}not found on PATH\. Install the Google Cloud CLI/m);
    assert.match(
      text,
      /^WARN {2}gke-gcloud-auth-plugin {2}not found on PATH\. Install it: gcloud components install gke-gcloud-auth-plugin/m,
    );
    assert.match(
      text,
      /^FAIL {2}Google credentials {6}no application default credentials .*Run: gcloud auth application-default login/m,
    );
  });

  test("aks: az account show failing is FAIL; kubelogin missing is WARN; the probe has a short timeout", async () => {
    const { d, calls } = deps({
      tools: ["az"],
      results: { az: { code: 1, stderr: "ERROR: Please run 'az login' to setup account." } },
    });
    const checks = await preflight({ target: "aks" }, d);
    assert.deepEqual(
      checks.map((c) => `${c.status} ${c.name}`),
      ["PASS az", "WARN kubelogin", "FAIL Azure login"],
    );
    assert.match(checks[2]!.detail, /exited with 1 \(ERROR: Please run 'az login'.*Run: az login/);
    assert.deepEqual(calls, ["az account show --output none (10000 ms)"]);
  });

  test("eks: sts get-caller-identity with the stack's profile; a timeout is WARN, never a crash", async () => {
    const { d, calls } = deps({ tools: ["aws"], results: { aws: { code: null, timedOut: true } } });
    const checks = await preflight({ target: "eks", eks: { profile: "dev" } }, d);
    assert.equal(checks[1]!.status, "WARN");
    assert.match(checks[1]!.detail, /did not answer within 10 s/);
    assert.deepEqual(calls, ["aws sts get-caller-identity --output json --profile dev (10000 ms)"]);
  });

  test("eks: aws missing means credentials are not checked, and nothing is run", async () => {
    const { d, calls } = deps();
    const checks = await preflight({ target: "eks" }, d);
    assert.deepEqual(
      checks.map((c) => c.status),
      ["WARN", "WARN"],
    );
    assert.deepEqual(calls, []);
  });

  test("the real probe reports a missing command and a timeout instead of throwing", async () => {
    const missing = await probe("kuar-no-such-command", [], 1000);
    assert.equal(missing.missing, true);
    const slow = await probe("sleep", ["5"], 200);
    assert.equal(slow.timedOut, true);
  });
});

describe("pi checks (pure parts)", () => {
  test("architecture: aarch64 passes, armv7l warns, a mismatch fails", () => {
    assert.equal(archCheck("pi uname", "arm64", "aarch64").status, "PASS");
    assert.match(archCheck("pi uname", "arm64", "armv7l").detail, /32-bit OS.*flash 64-bit Raspberry Pi OS/);
    assert.equal(archCheck("pi uname", "arm64", "armv7l").status, "WARN");
    assert.equal(archCheck("pi uname", "arm64", "x86_64").status, "FAIL");
  });

  test("cgroups: memory controller or cmdline flags pass; missing says kuar adds them and reboots", () => {
    assert.equal(cgroupCheck("c", "cpuset cpu io memory pids", "").status, "PASS");
    assert.equal(cgroupCheck("c", undefined, "quiet cgroup_memory=1 cgroup_enable=memory").status, "PASS");
    const miss = cgroupCheck("c", "cpuset cpu", "console=tty1 quiet");
    assert.equal(miss.status, "WARN");
    assert.match(miss.detail, /will add cgroup_memory=1 cgroup_enable=memory to cmdline\.txt and reboot this Pi once/);
  });

  test("the verdict counts and says FAIL does not invalidate the config", () => {
    const v = verdict([
      { status: "PASS", name: "a", detail: "" },
      { status: "WARN", name: "b", detail: "" },
      { status: "FAIL", name: "c", detail: "" },
    ]);
    assert.equal(
      v,
      "preflight: 1 passed, 1 warning, 1 failed (the stack config is still valid; fix these before pulumi up)",
    );
  });
});
