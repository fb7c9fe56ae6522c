/**
 * The existing target for real: a control plane kuar's stack did not make (started here through
 * kwokctl, as a user's kind or minikube would be), a stack that only connects to it, discovers
 * its capabilities with kubectl reads, bootstraps and deploys, changes nothing on a second up,
 * and on destroy removes its own objects and leaves the cluster running. The inline-kubeconfig
 * path is checked as a user would set it: `pulumi config set --secret --path`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { toolchain } from "../../config/versions.js";
import { clusterDir, Kwok } from "../../providers/local/kwok.js";
import { root } from "../../cli/engine.js";
import { cannotRun, createStack, seconds, type E2eStack } from "../../kit/e2e/harness.js";

const reason = cannotRun();
if (reason) console.log(`# existing-target e2e not run: ${reason}`);

describe("existing target end to end", { skip: reason }, () => {
  const name = `kuar-e2e-existing-${process.pid}`;
  const kwok = new Kwok({ name, kubeVersion: toolchain.kubernetes });
  const kubeconfigPath = join(clusterDir(name), "kubeconfig.yaml");
  let s: E2eStack;
  const timings: Record<string, number> = {};

  before(async () => {
    const t = Date.now();
    await kwok.ensure(2);
    timings["cluster"] = seconds(t);
    s = createStack(
      {
        target: "existing",
        existing: {
          kubeconfigPath,
          context: `kwok-${name}`,
          kubectl: join(kwok.bin, "kubectl"),
          capabilities: { online: false },
        },
        workloads: { kuard: { enabled: true } },
      },
      "e2e-existing",
    );
  });
  after(async () => {
    if (s) {
      s.pulumi(["destroy", "--yes", "--non-interactive"]);
      s.remove();
    }
    await kwok.delete();
    console.log(`# e2e existing timings (s): ${JSON.stringify(timings)}`);
  });

  const kubectl = (args: string[]) =>
    spawnSync(join(kwok.bin, "kubectl"), ["--kubeconfig", kubeconfigPath, ...args], {
      encoding: "utf8",
      timeout: 120_000,
    });
  const outputs = () => JSON.parse(s.pulumi(["stack", "output", "--json", "--show-secrets"]).stdout);

  test("preview plans the provider and kuar's objects, and no cluster", () => {
    const r = s.pulumi(["preview", "--non-interactive"]);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /\+ .*kuar:providers:ExistingCluster/);
    assert.doesNotMatch(r.stdout, /LocalControlPlane|LocalCluster/);
  });

  test("up deploys onto the cluster with the capabilities discovered from its API", () => {
    const t = Date.now();
    const r = s.pulumi(["up", "--yes", "--non-interactive"]);
    timings["up"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
    const caps = outputs().capabilities;
    assert.deepEqual(caps, {
      loadBalancer: "none",
      defaultStorageClass: "standard",
      arch: "amd64",
      dns: false,
      metricsServer: false,
      online: false,
      runsContainers: false,
      nodes: 2,
    });
    const deployments = JSON.parse(kubectl(["get", "deployments", "-A", "-o", "json"]).stdout).items;
    assert.ok(deployments.length > 0, "kuar's deployments are on the cluster");
  });

  test("a second up changes nothing: kuar's own add-ons do not change what discovery sees", () => {
    const t = Date.now();
    const r = s.pulumi(["up", "--yes", "--non-interactive", "--expect-no-changes"]);
    timings["noopUp"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
  });

  test("an inline kubeconfig must be a secret; set with --secret --path it is accepted and stays encrypted", () => {
    // kwokctl's kubeconfig names its certificate files; a kubeconfig for CI carries them inline,
    // the way a user makes one: kubectl config view --flatten (which embeds the files' data).
    const flat = kubectl(["config", "view", "--flatten", "--minify", "--raw"]);
    assert.equal(flat.status, 0, flat.stderr);
    const inline = flat.stdout;
    const key = /client-key-data: (\S+)/.exec(inline)?.[1];
    assert.ok(key, "the flattened kubeconfig carries the client key inline");
    const set = (secret: boolean) =>
      spawnSync(
        "pulumi",
        ["config", "set", ...(secret ? ["--secret"] : []), "--path", "kuar:existing.kubeconfig", "--stack", s.name],
        {
          cwd: root,
          env: s.env,
          input: inline,
          encoding: "utf8",
        },
      );
    const rm = () => s.pulumi(["config", "rm", "--path", "kuar:existing.kubeconfigPath"]);
    rm();
    assert.equal(set(false).status, 0);
    const plain = s.pulumi(["preview", "--non-interactive"]);
    assert.notEqual(plain.status, 0);
    assert.match(plain.stdout, /kuar:existing\.kubeconfig: holds a secret but is stored in plain text/);
    assert.equal(plain.stdout.includes(key), false, "the plain value is not echoed");
    assert.equal(set(true).status, 0);
    assert.equal(readFileSync(s.file, "utf8").includes(key), false, "the stack file holds it encrypted");
    const r = s.pulumi(["preview", "--non-interactive", "--expect-no-changes"]);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(s.pulumi(["stack", "export"]).stdout.includes(key), false, "state holds no plain key");
  });

  test("destroy removes kuar's objects and leaves the cluster running", () => {
    const t = Date.now();
    const r = s.pulumi(["destroy", "--yes", "--non-interactive"]);
    timings["destroy"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(JSON.parse(s.pulumi(["stack", "export"]).stdout).deployment.resources ?? [], []);
    const left = JSON.parse(kubectl(["get", "deployments", "-A", "-o", "json"]).stdout).items;
    assert.deepEqual(left, []);
    assert.ok(existsSync(clusterDir(name)), "the cluster's files are still there");
    assert.equal(kubectl(["get", "--raw", "/readyz"]).status, 0, "the API server still answers");
  });
});
