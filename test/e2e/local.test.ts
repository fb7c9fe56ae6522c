/**
 * The main job for real: preview, up, readiness checked with kubectl, a no-op second up, no
 * plain secrets in state, destroy, nothing left, control plane gone. Real: the Pulumi engine,
 * kube-apiserver, controllers, scheduler, etcd. Simulated by kwok: nodes and containers.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { root } from "../../cli/engine.js";
import { clusterDir } from "../../providers/local/kwok.js";
import { fullConfig } from "../../kit/e2e/config.js";
import { cannotRun, createStack, seconds, type E2eStack } from "../../kit/e2e/harness.js";

const reason = cannotRun();
if (reason) console.log(`# e2e tier not run: ${reason}`);

interface Obj {
  metadata: { name: string; namespace: string };
  spec?: { replicas?: number };
  status?: Record<string, unknown>;
}

describe("local target end to end", { skip: reason }, () => {
  let s: E2eStack;
  const timings: Record<string, number> = {};

  before(() => {
    s = createStack(fullConfig);
  });
  after(() => {
    if (!s) return;
    s.pulumi(["destroy", "--yes", "--non-interactive"]);
    s.remove();
    console.log(`# e2e timings (s): ${JSON.stringify(timings)}`);
  });

  const list = (kind: string): Obj[] => JSON.parse(s.kubectl(["get", kind, "-A", "-o", "json"])).items;

  test("preview plans the creation without touching anything", () => {
    const t = Date.now();
    const r = s.pulumi(["preview", "--non-interactive"]);
    timings["preview"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /\+ .*kuar:providers:LocalCluster/);
    assert.equal(existsSync(clusterDir(s.clusterName)), false, "preview must not create the control plane");
  });

  test("up brings the stack up", () => {
    const t = Date.now();
    const r = s.pulumi(["up", "--yes", "--non-interactive"]);
    timings["up"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /^\s*(error|warning):/im, "no diagnostics");
  });

  test("every Deployment, StatefulSet and Job of ours is ready, checked with kubectl", () => {
    const deployments = list("deployments");
    const statefulsets = list("statefulsets");
    const jobs = list("jobs");
    assert.ok(deployments.length > 0, "no Deployments were created");
    for (const d of deployments) {
      s.kubectl(["rollout", "status", `deployment/${d.metadata.name}`, "-n", d.metadata.namespace, "--timeout=120s"]);
    }
    for (const st of statefulsets) {
      s.kubectl([
        "rollout",
        "status",
        `statefulset/${st.metadata.name}`,
        "-n",
        st.metadata.namespace,
        "--timeout=120s",
      ]);
    }
    for (const j of jobs) {
      s.kubectl([
        "wait",
        "--for=condition=complete",
        `job/${j.metadata.name}`,
        "-n",
        j.metadata.namespace,
        "--timeout=120s",
      ]);
    }
    const pods = list("pods") as (Obj & { status: { phase: string } })[];
    const bad = pods.filter((p) => !["Running", "Succeeded"].includes(p.status.phase));
    assert.deepEqual(
      bad.map((p) => `${p.metadata.namespace}/${p.metadata.name}: ${p.status.phase}`),
      [],
    );
    console.log(
      `# ready: ${deployments.length} deployments, ${statefulsets.length} statefulsets, ${jobs.length} jobs, ${pods.length} pods`,
    );
  });

  test("a second up reports no changes", () => {
    const t = Date.now();
    const r = s.pulumi(["up", "--yes", "--non-interactive", "--expect-no-changes"]);
    timings["noopUp"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /[~+-] .*(create|update|replace|delete)d?\b/i);
    assert.doesNotMatch(r.stdout, /^\s*(error|warning):/im, "no diagnostics");
  });

  test("the program has the dynamic provider host started as it begins (program.mjs), silently", () => {
    const args = ["up", "--yes", "--non-interactive", "--skip-preview", "--stack", s.name, "--logtostderr", "-v=7"];
    const r = spawnSync("pulumi", args, { cwd: root, env: s.env, encoding: "utf8", maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stdout);
    // The engine's log: the host was started for the invoke, and answered it as it answers any.
    assert.match(r.stderr, /Invoke\(pulumi-nodejs:dynamic:startHost\) failed: unknown function/);
    assert.doesNotMatch(r.stdout, /^\s*(error|warning):|startHost/im, "and nothing of it reaches the output");
    assert.match(r.stdout, /unchanged/);
  });

  test("preview asks the API server: a change its admission refuses fails at preview and changes nothing", () => {
    // A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA since Kubernetes 1.30)
    // that refuses kuard Deployments with more than 2 replicas; kuar's schema allows up to 20.
    // Only a provider that previews with a server-side dry run sees the refusal before `up`.
    const policy = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: "e2e-max-two-kuard" },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          objectSelector: { matchLabels: { "app.kubernetes.io/name": "kuard" } },
          resourceRules: [
            { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] },
          ],
        },
        validations: [
          {
            expression: "object.spec.replicas <= 2",
            message: "e2e policy: kuard may run at most 2 replicas",
          },
        ],
      },
    };
    const binding = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: "e2e-max-two-kuard" },
      spec: { policyName: "e2e-max-two-kuard", validationActions: ["Deny"] },
    };
    const apply = (obj: object) =>
      execFileSync(join(s.bin, "kubectl"), ["--kubeconfig", s.kubeconfig, "apply", "--server-side", "-f", "-"], {
        input: JSON.stringify(obj),
        encoding: "utf8",
      });
    const original = readFileSync(s.file, "utf8");
    const kuard = () =>
      (
        JSON.parse(s.kubectl(["get", "deployments", "-A", "-l", "app.kubernetes.io/name=kuard", "-o", "json"]))
          .items as Obj[]
      )[0];
    const before = kuard();
    assert.ok(before, "kuard's Deployment exists");
    apply(policy);
    apply(binding);
    try {
      // The policy is enforced once the API server has loaded it: poll a server-side dry run.
      let enforced = false;
      for (let i = 0; i < 60 && !enforced; i++) {
        const probe = spawnSync(
          join(s.bin, "kubectl"),
          [
            "--kubeconfig",
            s.kubeconfig,
            // A patch of the object itself: the policy matches deployments, not their scale subresource.
            "patch",
            "deployment",
            before.metadata.name,
            "-n",
            before.metadata.namespace,
            "--type=merge",
            "-p",
            '{"spec":{"replicas":3}}',
            "--dry-run=server",
          ],
          { encoding: "utf8" },
        );
        enforced = probe.status !== 0 && probe.stderr.includes("at most 2 replicas");
        if (!enforced) execFileSync("sleep", ["0.5"]);
      }
      assert.ok(enforced, "the admission policy is in force");
      const cfg = parse(original) as { config: Record<string, Record<string, Record<string, unknown>>> };
      cfg.config["kuar:workloads"]!["kuard"] = { ...cfg.config["kuar:workloads"]!["kuard"], replicas: 3 };
      writeFileSync(s.file, stringify(cfg));
      const r = s.pulumi(["preview", "--non-interactive"]);
      assert.notEqual(r.status, 0, `preview should fail:\n${r.stdout}`);
      assert.match(r.stdout, /at most 2 replicas/);
      assert.equal(kuard()?.spec?.replicas, before.spec?.replicas, "nothing changed on the cluster");
    } finally {
      writeFileSync(s.file, original);
      s.kubectl(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "e2e-max-two-kuard"]);
    }
    const again = s.pulumi(["preview", "--non-interactive", "--expect-no-changes"]);
    assert.equal(again.status, 0, again.stdout);
  });

  test("state holds no secret in plain text", () => {
    const exported = s.pulumi(["stack", "export"]).stdout;
    const outputs = JSON.parse(s.pulumi(["stack", "output", "--json", "--show-secrets"]).stdout);
    const kubeconfig: string = outputs.kubeconfig;
    const clientKey = /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    assert.ok(clientKey, "kubeconfig output has a client key");
    const values = [clientKey];
    for (const sec of list("secrets") as (Obj & { data?: Record<string, string> })[]) {
      for (const v of Object.values(sec.data ?? {})) {
        const plain = Buffer.from(v, "base64").toString("utf8");
        if (plain.length >= 12) values.push(plain);
      }
    }
    for (const v of values) assert.equal(exported.includes(v), false, `a secret value appears in plain state`);
    console.log(`# checked ${values.length} secret values against the exported state`);
  });

  test("destroy removes every object of ours, then the control plane", () => {
    const resources: { urn: string; type: string; outputs?: Obj & { kind: string; apiVersion: string } }[] = JSON.parse(
      s.pulumi(["stack", "export"]).stdout,
    ).deployment.resources;
    // Ours: every Kubernetes object in state (pods, replica sets and volumes hang off them).
    const ours = resources
      .filter((r) => r.type.startsWith("kubernetes:") && r.outputs?.metadata)
      .map((r) => r.outputs!);
    assert.ok(ours.length > 20, `expected the stack's objects in state, found ${ours.length}`);
    const keep = resources
      .map((r) => r.urn)
      .filter((u) => /LocalControlPlane|LocalCluster|pulumi:providers:kubernetes|Stack::/.test(u));
    const t = Date.now();
    const partial = s.pulumi(["destroy", "--yes", "--non-interactive", ...keep.flatMap((u) => ["--exclude", u])]);
    assert.equal(partial.status, 0, partial.stdout);
    const left = ours.filter((o) => {
      const group = o.apiVersion.includes("/") ? `.${o.apiVersion.split("/")[0]}` : "";
      const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
      const out = s.kubectl(["get", `${o.kind}${group}`, o.metadata.name, ...ns, "--ignore-not-found", "-o", "name"]);
      return out.trim() !== "";
    });
    assert.deepEqual(
      left.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`),
      [],
    );
    const namespaces = new Set(ours.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name));
    const strays = [...list("pods"), ...list("persistentvolumeclaims")].filter((o) =>
      namespaces.has(o.metadata.namespace),
    );
    assert.deepEqual(
      strays.map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      [],
    );
    assert.deepEqual(
      list("persistentvolumes").map((o) => o.metadata.name),
      [],
      "volumes are reclaimed",
    );
    console.log(`# destroy removed all ${ours.length} objects of ours`);

    const full = s.pulumi(["destroy", "--yes", "--non-interactive"]);
    timings["destroy"] = seconds(t);
    assert.equal(full.status, 0, full.stdout);
    const remaining = JSON.parse(s.pulumi(["stack", "export"]).stdout).deployment.resources ?? [];
    assert.deepEqual(remaining, []);
    assert.equal(existsSync(clusterDir(s.clusterName)), false, "the control plane's folder is gone");
    const procs = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    assert.equal(procs.includes(`clusters/${s.clusterName}/`), false, "no control plane process is left");
  });
});
