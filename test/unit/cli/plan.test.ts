/**
 * `kuar plan`: the program under in-process mocks, offline, for all five targets. Each target
 * runs in its own process (the program is a module, evaluated once per process) with no cloud
 * credentials in its environment. Before the fix the evaluation failed on AKS's invokes and on
 * EKS outputs only a cloud fills in.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { stringify } from "yaml";
import { buildPlan, layerOf, type Plan } from "../../../cli/plan.js";
import { root } from "../../../cli/engine.js";

const dir = mkdtempSync(join(tmpdir(), "kuar-plan-"));
const piFile = join(dir, "Pulumi.pi.yaml");
writeFileSync(
  piFile,
  stringify({
    config: {
      "kuar:target": "raspberrypi",
      "kuar:raspberrypi": {
        hosts: [
          {
            address: "192.168.1.21",
            role: "server",
            privateKeyPath: "~/.ssh/id_ed25519",
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
          },
          {
            address: "192.168.1.22",
            role: "agent",
            privateKeyPath: "~/.ssh/id_ed25519",
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKpZpQHn0oyXr/I8AH8iy4b/2mk8T+9SrZBfSlT3LbLP",
          },
        ],
      },
      "kuar:addons": { metallb: { addresses: ["192.168.1.240-192.168.1.250"] } },
    },
  }),
);

/** Only PATH and HOME: no cloud credentials, no backend, no passphrase. */
function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, "cli", "kuar.js"), "plan", "--json", ...args], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", HOME: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const cases: [string, string[], (p: Plan) => void][] = [
  [
    "local",
    ["--stack", "local"],
    (p) => {
      assert.equal(p.layers["cluster"]?.["kuar:LocalControlPlane"], 1);
      assert.deepEqual(
        p.pools.map((x) => [x.min, x.max]),
        [[3, 3]],
      );
      assert.ok(p.addons.skipped.some((s) => s.addon === "headlamp" && /internet/.test(s.reason)));
      assert.ok(p.secrets.generated.includes("kuar-redis-password"));
      const readme = /for the (\d+) resources `kuar plan --stack local` lists/.exec(
        readFileSync(join(root, "README.md"), "utf8"),
      );
      assert.equal(Number(readme?.[1]), p.total, "README's resource count of the quick start is kuar plan's");
    },
  ],
  [
    "gke",
    ["--stack", "gke-dev"],
    (p) => {
      assert.equal(p.layers["cluster"]?.["gcp:container/nodePool:NodePool"], 2);
      assert.deepEqual(
        p.pools.find((x) => x.name === "spot"),
        { name: "spot", size: "e2-standard-4", min: 0, max: 3, spot: true },
      );
    },
  ],
  [
    "aks",
    ["--stack", "aks-dev"],
    (p) => {
      assert.equal(p.layers["cluster"]?.["azure-native:containerservice:ManagedCluster"], 1);
      assert.equal(p.pools[0]!.size, "Standard_D2s_v5");
    },
  ],
  [
    "eks",
    ["--stack", "eks-prod"],
    (p) => {
      assert.equal(p.layers["cluster"]?.["aws:eks/nodeGroup:NodeGroup"], 2);
      assert.deepEqual(
        p.pools.map((x) => x.name),
        ["system", "workload"],
      );
      assert.equal(p.pools[1]!.spot, true);
    },
  ],
  [
    "raspberrypi",
    ["--stack", "pi", "--file", piFile],
    (p) => {
      assert.ok(p.layers["bootstrap"] && Object.keys(p.layers["bootstrap"]).length > 0);
      assert.deepEqual(
        p.pools.map((x) => x.name),
        ["servers", "agents"],
      );
      assert.ok(
        p.secrets.generated.some((s) => /k3s/i.test(s)),
        p.secrets.generated.join(","),
      );
    },
  ],
];

describe("kuar plan, offline, every target", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  const runs = Promise.all(cases.map(([, args]) => plan(args)));

  for (const [i, [target, , check]] of cases.entries()) {
    test(`plans a ${target} stack with no credentials: resources by layer, pools, add-ons, secrets`, async () => {
      const r = (await runs)[i]!;
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      const p = JSON.parse(r.stdout) as Plan;
      assert.equal(p.target, target);
      assert.ok(p.total > 10, `${p.total} resources`);
      assert.ok(p.layers["workloads"], "workloads layer present");
      for (const s of p.addons.skipped) assert.ok(s.reason.length > 10, `${s.addon} has a reason`);
      check(p);
    });
  }

  test("fails when the stack config is invalid: the problems, exit 1, no mock trace", async () => {
    const bad = join(dir, "Pulumi.bad.yaml");
    writeFileSync(bad, stringify({ config: { "kuar:target": "local", "kuar:local": { nodes: 0 } } }));
    const r = await plan(["--stack", "bad", "--file", bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /kuar:local\.nodes: must be at least 1, got 0/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe("plan pieces", () => {
  test("a resource's layer is the first kuar component above it", () => {
    assert.equal(
      layerOf({ chain: ["kuar:providers:EksCluster", "kuar:providers:EksNetwork", "aws:ec2/vpc:Vpc"] }),
      "cluster",
    );
    assert.equal(
      layerOf({ chain: ["kuar:workloads:Workloads", "kuar:workloads:Redis", "kubernetes:apps/v1:StatefulSet"] }),
      "workloads",
    );
    assert.equal(layerOf({ chain: ["pulumi:providers:aws"] }), "program");
  });

  test("counts custom resources and remote components, not kuar's own components", () => {
    const p = buildPlan(
      "s",
      "local",
      { nodes: 1 },
      {
        resources: [
          {
            type: "kuar:bootstrap:Bootstrap",
            name: "b",
            chain: ["kuar:bootstrap:Bootstrap"],
            custom: false,
            inputs: {},
          },
          {
            type: "kubernetes:helm.sh/v4:Chart",
            name: "c",
            chain: ["kuar:bootstrap:Bootstrap", "kubernetes:helm.sh/v4:Chart"],
            custom: false,
            inputs: {},
          },
          {
            type: "pulumi-nodejs:dynamic/kuar:RandomSecret",
            name: "pw",
            chain: ["kuar:workloads:Workloads", "x"],
            custom: true,
            inputs: { kind: "kuar:RandomSecret" },
          },
        ],
        exports: { skippedAddons: [{ addon: "metallb", reason: "no" }] },
      },
      ["kuar:redisPassword"],
    );
    assert.equal(p.total, 2);
    assert.deepEqual(p.layers, {
      bootstrap: { "kubernetes:helm.sh/v4:Chart": 1 },
      workloads: { "kuar:RandomSecret": 1 },
    });
    assert.ok(!p.addons.installed.includes("metallb"));
    assert.deepEqual(p.secrets, { generated: ["pw"], set: ["redisPassword"] });
  });
});
