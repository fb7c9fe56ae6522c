import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks } from "../../../kit/mocks.js";
import { assertLabels, assertRestricted, container, deploy, podSpec, T } from "./harness.js";

const mocks = await useMocks();

test("kuard: a Deployment with /healthy and /ready probes, rolling updates, resources and a Service", async () => {
  const d = await deploy(mocks, "k1");
  const dep = d.one(T.deployment, "k1-kuard");
  assert.equal(dep.inputs["metadata"].namespace, "apps");
  assert.equal(dep.inputs["spec"].replicas, 2);
  assert.deepEqual(dep.inputs["spec"].strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
  });
  const c = container(dep);
  assert.equal(c.image, "gcr.io/kuar-demo/kuard-amd64:blue");
  assert.equal(c.livenessProbe.httpGet.path, "/healthy");
  assert.equal(c.readinessProbe.httpGet.path, "/ready");
  assert.deepEqual(c.resources, {
    requests: { cpu: "100m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "128Mi" },
  });
  assertRestricted(assert, dep, 65534);
  assertLabels(assert, dep, "kuard", "web");
  assert.equal(dep.inputs["metadata"].labels["app.kubernetes.io/instance"], "k1-kuard");
  const svc = d.one(T.service, "k1-kuard");
  assert.deepEqual(svc.inputs["spec"].selector, dep.inputs["spec"].selector.matchLabels);
  assert.equal(d.endpoints["kuard"], "http://k1-kuard.apps.svc.cluster.local");
});

test("kuard: two replicas get a PDB and preferred anti-affinity across nodes; one replica gets neither", async () => {
  const two = await deploy(mocks, "k2");
  const pdb = two.one(T.pdb, "k2-kuard");
  assert.equal(pdb.inputs["spec"].maxUnavailable, 1);
  const term = podSpec(two.one(T.deployment, "k2-kuard")).affinity.podAntiAffinity
    .preferredDuringSchedulingIgnoredDuringExecution[0];
  assert.equal(term.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
  assert.equal(term.podAffinityTerm.labelSelector.matchLabels["app.kubernetes.io/name"], "kuard");

  const one = await deploy(mocks, "k3", { workloads: { kuard: { replicas: 1 } } });
  assert.equal(one.ofType(T.pdb).length, 0);
  assert.equal(podSpec(one.one(T.deployment, "k3-kuard")).affinity, undefined);
});

test("kuard: the keygen Job runs the book's flags with completions 5 and parallelism 2", async () => {
  const d = await deploy(mocks, "k4");
  const job = d.one(T.job, "k4-kuard-keygen");
  assert.equal(job.inputs["spec"].completions, 5);
  assert.equal(job.inputs["spec"].parallelism, 2);
  assert.deepEqual(container(job).args, ["--keygen-enable", "--keygen-exit-on-complete", "--keygen-num-to-gen=10"]);
  // The image has no ENTRYPOINT and CMD ["/kuard"]: args alone would make the runtime exec the first flag.
  assert.deepEqual(container(job).command, ["/kuard"]);
  assert.equal(podSpec(job).restartPolicy, "OnFailure");
  assertRestricted(assert, job, 65534);

  const custom = await deploy(mocks, "k5", {
    workloads: { kuard: { keygen: { completions: 8, parallelism: 4, keysPerPod: 3 } } },
  });
  const j = custom.one(T.job, "k5-kuard-keygen");
  assert.equal(j.inputs["spec"].completions, 8);
  assert.ok(container(j).args.includes("--keygen-num-to-gen=3"));
  const off = await deploy(mocks, "k6", { workloads: { kuard: { keygen: { enabled: false } } } });
  assert.equal(off.ofType(T.job).length, 0);
});

test("kuard: arm64 clusters get the arm64 build; green is a tag; mixed clusters pin to amd64 nodes", async () => {
  const arm = await deploy(mocks, "k7", { arch: "arm64", workloads: { kuard: { color: "green" } } });
  const dep = arm.one(T.deployment, "k7-kuard");
  assert.equal(container(dep).image, "gcr.io/kuar-demo/kuard-arm64:green");
  assert.equal(container(arm.one(T.job, "k7-kuard-keygen")).image, "gcr.io/kuar-demo/kuard-arm64:green");
  assert.equal(podSpec(dep).nodeSelector, undefined);
  const mixed = await deploy(mocks, "k8", { arch: "mixed" });
  const m = mixed.one(T.deployment, "k8-kuard");
  assert.equal(container(m).image, "gcr.io/kuar-demo/kuard-amd64:blue");
  assert.deepEqual(podSpec(m).nodeSelector, { "kubernetes.io/arch": "amd64" });
});

test("kuard: an HTTPRoute to the platform Gateway only when there is one", async () => {
  const none = await deploy(mocks, "k9");
  assert.equal(none.ofType(T.route).length, 0);
  const gw = await deploy(mocks, "k10", { gateway: "https" });
  const route = gw.one(T.route, "k10-kuard");
  assert.equal(route.inputs["apiVersion"], "gateway.networking.k8s.io/v1");
  assert.deepEqual(route.inputs["spec"].parentRefs, [{ name: "shared", namespace: "gateway", sectionName: "https" }]);
  assert.deepEqual(route.inputs["spec"].hostnames, ["kuard.example.test"]);
  assert.deepEqual(route.inputs["spec"].rules[0].backendRefs, [{ name: "k10-kuard", port: 80 }]);
  assert.equal(gw.endpoints["kuard"], "https://kuard.example.test");
});

test("kuard: children use the cluster provider, the apps namespace and wait for the platform", async () => {
  const d = await deploy(mocks, "k11");
  for (const r of d.resources.filter((x) => x.type.startsWith("kubernetes:") && x.name !== "k11-apps")) {
    assert.match(r.provider ?? "", d.providerRef, `${r.type} ${r.name}`);
    assert.equal(r.inputs["metadata"].namespace, "apps", `${r.type} ${r.name}`);
  }
  for (const c of d.captured.filter((x) => x.type.startsWith("kubernetes:"))) {
    assert.ok((c.opts.dependsOn as unknown[]).includes(d.platformDep), `${c.type} ${c.name} waits for the platform`);
  }
});
