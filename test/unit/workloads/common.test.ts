import assert from "node:assert/strict";
import { test } from "node:test";
import * as c from "../../../workloads/common.js";

const id = { name: "mongo", instance: "kuar-parse", component: "database" };

test("labels: app.kubernetes.io name/instance/component select; part-of and managed-by are added", () => {
  assert.deepEqual(c.selectorLabels(id), {
    "app.kubernetes.io/name": "mongo",
    "app.kubernetes.io/instance": "kuar-parse",
    "app.kubernetes.io/component": "database",
  });
  assert.deepEqual(c.labels(id), {
    ...c.selectorLabels(id),
    "app.kubernetes.io/part-of": "kuar",
    "app.kubernetes.io/managed-by": "pulumi",
  });
});

test("security contexts follow the restricted profile with an explicit user", () => {
  assert.deepEqual(c.podSecurityContext(999), {
    runAsNonRoot: true,
    runAsUser: 999,
    runAsGroup: 999,
    fsGroup: 999,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  });
  assert.equal(c.podSecurityContext(999, 1000).fsGroup, 1000);
  const ctr = c.containerSecurityContext();
  assert.equal(ctr.allowPrivilegeEscalation, false);
  assert.equal(ctr.readOnlyRootFilesystem, true);
  assert.deepEqual(ctr.capabilities, { drop: ["ALL"] });
  assert.equal(c.containerSecurityContext(false).readOnlyRootFilesystem, false);
});

test("anti-affinity and PDB only for more than one replica", () => {
  const sel = c.selectorLabels(id);
  assert.equal(c.antiAffinity(sel, 1), undefined);
  assert.equal(c.pdbSpec(sel, 1), undefined);
  const term = c.antiAffinity(sel, 3)!.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]!;
  assert.equal(term.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
  assert.deepEqual(term.podAffinityTerm.labelSelector.matchLabels, sel);
  assert.deepEqual(c.pdbSpec(sel, 2), { maxUnavailable: 1, selector: { matchLabels: sel } });
});

test("images by architecture", () => {
  const pin = { amd64: "r/app-amd64:1", arm64: "r/app-arm64:1" };
  assert.deepEqual(c.imageFor(pin, "arm64"), { image: "r/app-arm64:1" });
  assert.deepEqual(c.imageFor(pin, "amd64"), { image: "r/app-amd64:1" });
  assert.deepEqual(c.imageFor(pin, "mixed"), {
    image: "r/app-amd64:1",
    nodeSelector: { "kubernetes.io/arch": "amd64" },
  });
  assert.deepEqual(c.imageFor("mongo:8.0.15", "arm64"), { image: "mongo:8.0.15" });
  assert.equal(c.withTag("gcr.io/kuar-demo/kuard-arm64:blue", "green"), "gcr.io/kuar-demo/kuard-arm64:green");
  assert.equal(c.withTag("localhost:5000/kuard", "green"), "localhost:5000/kuard:green");
});

test("URLs and routes", () => {
  assert.equal(c.publicUrl("kuard", "d.test", { scheme: "https" }, "x"), "https://kuard.d.test");
  assert.equal(c.publicUrl("kuard", "d.test", undefined, "http://svc"), "http://svc");
  const gw = { name: "gw" as never, namespace: "ns" as never, sectionName: "http", scheme: "http" as const };
  const spec = c.httpRouteSpec(gw, "a.d.test", "svc", 8080);
  assert.deepEqual(spec.parentRefs, [{ name: "gw", namespace: "ns", sectionName: "http" }]);
  assert.deepEqual(spec.rules[0]!.backendRefs, [{ name: "svc", port: 8080 }]);
});

test("ingress policy: each rule admits only its peers on its ports, the front door only the Gateway's proxies; a rule naming no peers admits nobody", () => {
  const db = { "app.kubernetes.io/name": "mysql" };
  const app = { "app.kubernetes.io/name": "ghost" };
  const p = c.ingressPolicySpec(db, [
    { ports: [3306], from: [app] },
    { ports: [80], from: "gateway" },
    { ports: [6379], from: "namespace" },
    { ports: [9999], from: [] },
  ]);
  assert.deepEqual(p.podSelector, { matchLabels: db });
  assert.deepEqual(p.policyTypes, ["Ingress"]);
  assert.deepEqual(p.ingress, [
    { from: [{ podSelector: { matchLabels: app } }], ports: [{ port: 3306, protocol: "TCP" }] },
    {
      from: [
        {
          namespaceSelector: { matchLabels: { "kuar.dev/gateway-proxies": "true" } },
          podSelector: {
            matchLabels: {
              "app.kubernetes.io/name": "envoy",
              "app.kubernetes.io/component": "proxy",
              "app.kubernetes.io/managed-by": "envoy-gateway",
            },
          },
        },
      ],
      ports: [{ port: 80, protocol: "TCP" }],
    },
    { from: [{ podSelector: {} }], ports: [{ port: 6379, protocol: "TCP" }] },
  ]);
});
