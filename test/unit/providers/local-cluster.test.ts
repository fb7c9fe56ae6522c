import assert from "node:assert/strict";
import { test } from "node:test";
import { useMocks, valueOf } from "../../../kit/mocks.js";

const mocks = await useMocks({
  outputs: (r) => (r.inputs["kind"] === "kuar:LocalControlPlane" ? { kubeconfig: "kc" } : undefined),
});
const { target } = await import("../../../providers/local/index.js");

const ctx = { stack: "dev", ephemeral: false, secrets: {} };
const base = { clusterName: "kuar-dev", nodes: 2, realNodes: 0, images: {} };

test("the quick start reports simulated containers", () => {
  const c = target.create("q", base, ctx);
  assert.equal(c.capabilities.runsContainers, false);
  assert.equal(c.capabilities.nodes, 2);
});

test("with real nodes, containers run and the node count includes them; the control plane gets realNodes and images", async () => {
  const images = { "redis:8.6.6-alpine": "/tmp/redis.tar" };
  const c = target.create("r", { ...base, realNodes: 2, images }, ctx);
  assert.equal(c.capabilities.runsContainers, true);
  assert.equal(c.capabilities.nodes, 4);
  assert.equal(c.capabilities.dns, false, "bootstrap installs CoreDNS, which then runs on a real node");
  assert.deepEqual(
    c.capabilities,
    target.capabilities({ ...base, realNodes: 2, images }),
    "the config checks predict what the cluster reports (index.ts refuses to go on otherwise)",
  );
  await valueOf(c.kubeconfig);
  await mocks.settle();
  const cp = mocks.named("r-control-plane").find((r) => r.inputs["kind"] === "kuar:LocalControlPlane");
  assert.ok(cp, "control plane registered");
  assert.equal(cp.inputs["realNodes"], 2);
  assert.deepEqual(cp.inputs["images"], images);
});

test("the local provider is keyed by the cluster's name and lets destroy drop objects of a control plane that is gone", async () => {
  target.create("p", base, ctx);
  await mocks.settle();
  const provider = mocks.ofType("pulumi:providers:kubernetes").find((r) => r.name === "p-k8s");
  assert.ok(provider, "the Kubernetes provider registered");
  assert.equal(provider.inputs["clusterIdentifier"], "kuar-local-kuar-dev");
  // Provider inputs reach the engine as strings.
  assert.equal(String(provider.inputs["deleteUnreachable"]), "true");
});
